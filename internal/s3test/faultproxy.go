package s3test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultProxy is a loopback reverse proxy in front of an S3 server that
// injects failures on demand. Each arming method queues faults; a request
// takes the first queued fault that applies to it, so a test can script a
// sequence ("503 twice, then cut the body"). Request-level faults (Fail,
// SlowDown, DropConnections) apply to any request; body faults apply to
// object GETs (path-style "/bucket/key", not listings), in the order armed.
// Unarmed, it passes everything through.
type FaultProxy struct {
	URL string // point the client's endpoint here (path-style)

	srv   *httptest.Server
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	fails    []failure
	drops    int
	bodies   []bodyFault
	requests []Request
}

// Request is one request the proxy saw, with the fault it injected.
type Request struct {
	Method  string
	Path    string // unescaped, "/bucket/key"
	Query   string
	Range   string
	IfMatch string
	Fault   string // "" when passed through untouched
}

type failure struct {
	status int
	code   string
}

type bodyKind int

const (
	cut bodyKind = iota
	truncate
	flip
	stall
)

type bodyFault struct {
	kind bodyKind
	n    int64         // cut/truncate/stall: after n bytes; flip: offset
	d    time.Duration // stall
}

func (f bodyFault) String() string {
	switch f.kind {
	case cut:
		return fmt.Sprintf("cut after %d bytes", f.n)
	case truncate:
		return fmt.Sprintf("truncate to %d bytes", f.n)
	case flip:
		return fmt.Sprintf("flip byte %d", f.n)
	default:
		return fmt.Sprintf("stall %v after %d bytes", f.d, f.n)
	}
}

type faultKey struct{}

// NewFaultProxy starts a proxy to target (a base URL such as
// "http://127.0.0.1:9000"). Close it when done.
func NewFaultProxy(target string) *FaultProxy {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		panic(fmt.Sprintf("s3test: NewFaultProxy(%q): not a URL", target))
	}
	p := &FaultProxy{}
	quiet := log.New(io.Discard, "", 0)
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			// SigV4 signs the Host header: keep the client's, which names
			// the proxy, as MinIO accepts any host for path-style requests.
			r.Out.Host = r.In.Host
		},
		ModifyResponse: p.modifyResponse,
		ErrorLog:       quiet,
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Config.ErrorLog = quiet
	p.srv.Start()
	p.URL = p.srv.URL
	return p
}

// Close stops the proxy and closes its connections.
func (p *FaultProxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
}

// Fail answers the next n requests with status and an S3 error code, e.g.
// Fail(2, 500, "InternalError").
func (p *FaultProxy) Fail(n, status int, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.fails = append(p.fails, failure{status, code})
	}
}

// SlowDown answers the next n requests with 503 SlowDown, S3's throttling.
func (p *FaultProxy) SlowDown(n int) { p.Fail(n, http.StatusServiceUnavailable, "SlowDown") }

// DropConnections closes the connection of the next n requests without
// answering.
func (p *FaultProxy) DropConnections(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drops += n
}

// CutBody makes the next object GET send the headers and the first n bytes
// of the body, then close the connection.
func (p *FaultProxy) CutBody(n int64) { p.arm(bodyFault{kind: cut, n: n}) }

// TruncateBody makes the next object GET answer with only the first n bytes
// of the body and a Content-Length of n: a short body that looks complete.
func (p *FaultProxy) TruncateBody(n int64) { p.arm(bodyFault{kind: truncate, n: n}) }

// FlipByte makes the next object GET deliver the byte at offset (of that
// response's body) inverted.
func (p *FaultProxy) FlipByte(offset int64) { p.arm(bodyFault{kind: flip, n: offset}) }

// StallBody makes the next object GET pause for d after n bytes of the body
// (less if the client goes away), then go on.
func (p *FaultProxy) StallBody(n int64, d time.Duration) {
	p.arm(bodyFault{kind: stall, n: n, d: d})
}

func (p *FaultProxy) arm(f bodyFault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bodies = append(p.bodies, f)
}

// Reset disarms every queued fault and forgets the requests seen.
func (p *FaultProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fails, p.drops, p.bodies, p.requests = nil, 0, nil, nil
}

// Armed reports how many faults are queued and not yet used.
func (p *FaultProxy) Armed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.fails) + p.drops + len(p.bodies)
}

// Requests returns the requests seen so far, in order of arrival.
func (p *FaultProxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// isObjectGET reports a path-style GetObject: "/bucket/key" without a
// sub-resource query (listings, ACLs, ...).
func isObjectGET(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if key == "" {
		return false
	}
	for k := range r.URL.Query() {
		if k != "x-id" && !strings.HasPrefix(k, "response-") && k != "partNumber" && k != "versionId" {
			return false
		}
	}
	return true
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{
		Method:  r.Method,
		Path:    r.URL.Path,
		Query:   r.URL.RawQuery,
		Range:   r.Header.Get("Range"),
		IfMatch: r.Header.Get("If-Match"),
	}
	p.mu.Lock()
	var (
		drop bool
		fail *failure
		body *bodyFault
	)
	switch {
	case p.drops > 0:
		p.drops--
		drop, rec.Fault = true, "drop connection"
	case len(p.fails) > 0:
		f := p.fails[0]
		fail, p.fails = &f, p.fails[1:]
		rec.Fault = fmt.Sprintf("%d %s", fail.status, fail.code)
	case len(p.bodies) > 0 && isObjectGET(r):
		b := p.bodies[0]
		body, p.bodies = &b, p.bodies[1:]
		rec.Fault = body.String()
	}
	p.requests = append(p.requests, rec)
	p.mu.Unlock()

	switch {
	case drop:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
		panic(http.ErrAbortHandler)
	case fail != nil:
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Connection", "close")
		w.WriteHeader(fail.status)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
				`<Error><Code>%s</Code><Message>injected by s3test.FaultProxy</Message><RequestId>faultproxy</RequestId></Error>`, fail.code)
		}
		return
	case body != nil && (body.kind == cut || body.kind == stall):
		w = &faultWriter{ResponseWriter: w, ctx: r.Context(), f: *body}
	case body != nil:
		r = r.WithContext(context.WithValue(r.Context(), faultKey{}, *body))
	}
	p.proxy.ServeHTTP(w, r)
}

// modifyResponse applies truncate and flip faults to a successful GET.
func (p *FaultProxy) modifyResponse(resp *http.Response) error {
	f, ok := resp.Request.Context().Value(faultKey{}).(bodyFault)
	if !ok || resp.StatusCode/100 != 2 {
		return nil
	}
	switch f.kind {
	case truncate:
		if resp.ContentLength >= 0 && f.n < resp.ContentLength {
			resp.Body = struct {
				io.Reader
				io.Closer
			}{io.LimitReader(resp.Body, f.n), resp.Body}
			resp.ContentLength = f.n
			resp.Header.Set("Content-Length", strconv.FormatInt(f.n, 10))
		}
	case flip:
		resp.Body = &flipReader{ReadCloser: resp.Body, at: f.n}
	}
	return nil
}

type flipReader struct {
	io.ReadCloser
	at, off int64
}

func (r *flipReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	if i := r.at - r.off; i >= 0 && i < int64(n) {
		b[i] ^= 0xff
	}
	r.off += int64(n)
	return n, err
}

var errCut = errors.New("s3test: body cut by FaultProxy")

// faultWriter passes a response through until n body bytes, then cuts the
// connection or stalls.
type faultWriter struct {
	http.ResponseWriter
	ctx     context.Context
	f       bodyFault
	written int64
	done    bool
}

func (w *faultWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *faultWriter) Write(b []byte) (int, error) {
	if w.done || w.written+int64(len(b)) <= w.f.n {
		n, err := w.ResponseWriter.Write(b)
		w.written += int64(n)
		return n, err
	}
	head := b[:w.f.n-w.written]
	n, err := w.ResponseWriter.Write(head)
	w.written += int64(n)
	if err != nil {
		return n, err
	}
	// What was written must reach the client before the cut: an aborted
	// handler's buffered output is discarded.
	http.NewResponseController(w.ResponseWriter).Flush()
	w.done = true
	if w.f.kind == cut {
		// ReverseProxy answers a write error by aborting the handler,
		// which closes the connection mid-body.
		return n, errCut
	}
	t := time.NewTimer(w.f.d)
	select {
	case <-t.C:
	case <-w.ctx.Done():
		t.Stop()
		return n, w.ctx.Err()
	}
	m, err := w.ResponseWriter.Write(b[len(head):])
	w.written += int64(m)
	return n + m, err
}
