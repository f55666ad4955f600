package objstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// maxResumes bounds the resumes of one object, counting those after which
// the new connection delivered data (a link that drops every few KiB).
// Resumes without progress are bounded by the store's MaxAttempts.
const maxResumes = 100

// errStalled is the cause given to a GET whose body made no progress for
// the idle timeout.
var errStalled = errors.New("no data received within the read idle timeout")

// s3Reader is hand-written because the SDK retries a request only until its
// response headers arrive: the body is then the caller's, and a connection
// that drops halfway through a large object surfaces as a read error with
// nothing to retry it (the SDK has no resuming download for GetObject; its
// transfer manager splits objects into ranged parts instead, which costs a
// request per part). s3Reader re-issues GetObject from the first byte not
// yet read ("Range: bytes=N-"), pinned to the listed ETag with If-Match so
// that the bytes before and after a resume belong to one object version,
// and verifies size and MD5 over the whole stream. A read that makes no
// progress for the idle timeout is aborted and resumed the same way. It
// holds one read buffer's worth of data, never the object.
type s3Reader struct {
	s    *s3Store
	ctx  context.Context
	info ObjectInfo

	etag     string // the version being read: the listed ETag, or the first response's
	checkMD5 bool   // the ETag is an MD5 of the content (not multipart, not SSE-KMS or SSE-C)
	md5      hash.Hash
	off      int64 // bytes delivered to the caller

	body   io.ReadCloser
	gctx   context.Context // the current GET's
	cancel context.CancelCauseFunc
	idle   *time.Timer // aborts the current GET with errStalled; armed during reads only

	resumes  int   // resumes so far
	stuck    int   // resumes since the last byte of progress
	lastErr  error // the read error that caused the pending resume
	err      error // sticky: io.EOF, the final error, or errClosed
	received bool  // the current body delivered at least one byte
}

var errClosed = errors.New("read after Close")

// Open starts a GetObject for info (pinned to info.ETag when set) and
// returns a reader that resumes and verifies as described on s3Reader.
// Errors: ErrNotFound, ErrAccessDenied, ErrChanged (wrapped in *s3Error).
func (s *s3Store) Open(ctx context.Context, info ObjectInfo) (io.ReadCloser, error) {
	r := &s3Reader{s: s, ctx: ctx, info: info, etag: info.ETag, md5: md5.New()}
	if err := r.get(); err != nil {
		return nil, err
	}
	return r, nil
}

// get issues GetObject from r.off.
func (r *s3Reader) get() error {
	in := &s3.GetObjectInput{Bucket: aws.String(r.s.cfg.Bucket), Key: aws.String(r.info.Key)}
	if r.etag != "" {
		in.IfMatch = aws.String(`"` + r.etag + `"`)
	}
	if r.off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.off))
	}
	// The GET's own context lets the idle timer abort a stalled body read
	// without cancelling the caller's context.
	gctx, cancel := context.WithCancelCause(r.ctx)
	var out *s3.GetObjectOutput
	err := r.s.do(gctx, func(c *s3.Client) (err error) {
		out, err = c.GetObject(gctx, in)
		return err
	})
	if err != nil {
		cancel(nil)
		op := "get"
		if r.off > 0 {
			op = fmt.Sprintf("resume at byte %d of", r.off)
		}
		return r.s.mapErr(r.ctx, op, r.info.Key, err)
	}
	if r.off > 0 {
		want := fmt.Sprintf("bytes %d-", r.off)
		if cr := aws.ToString(out.ContentRange); !strings.HasPrefix(cr, want) {
			out.Body.Close()
			cancel(nil)
			return fmt.Errorf("s3: resume %s at byte %d: server answered Content-Range %q, not a range from that byte", r.s.where(r.info.Key), r.off, cr)
		}
	} else {
		if r.etag == "" {
			r.etag = unquote(aws.ToString(out.ETag))
		}
		// With SSE-KMS or SSE-C the ETag is not the MD5 of the content.
		kms := out.ServerSideEncryption == types.ServerSideEncryptionAwsKms || out.ServerSideEncryption == types.ServerSideEncryptionAwsKmsDsse
		r.checkMD5 = isPlainMD5(r.etag) && !kms && out.SSECustomerAlgorithm == nil
	}
	r.body, r.gctx, r.cancel, r.received = out.Body, gctx, cancel, false
	r.idle = time.AfterFunc(r.s.idle, func() { cancel(errStalled) })
	r.idle.Stop()
	return nil
}

func isPlainMD5(etag string) bool {
	if len(etag) != 32 {
		return false
	}
	_, err := hex.DecodeString(etag)
	return err == nil
}

func (r *s3Reader) closeBody() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	if r.cancel != nil {
		r.idle.Stop()
		r.cancel(nil)
		r.cancel, r.gctx = nil, nil
	}
}

func (r *s3Reader) Read(p []byte) (int, error) {
	for {
		if r.err != nil {
			return 0, r.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		if r.body == nil {
			if r.off == r.info.Size {
				// Everything arrived before the connection failed.
				r.err = r.verify()
				return 0, r.err
			}
			if err := r.resume(); err != nil {
				r.err = err
				return 0, err
			}
		}
		r.idle.Reset(r.s.idle)
		n, err := r.body.Read(p)
		r.idle.Stop()
		if n > 0 {
			r.off += int64(n)
			r.md5.Write(p[:n])
			if !r.received {
				r.received, r.stuck = true, 0
			}
			if r.off > r.info.Size {
				r.closeBody()
				r.err = &IntegrityError{Key: r.info.Key, What: "size", Want: fmt.Sprint(r.info.Size), Got: fmt.Sprintf("more than %d", r.info.Size)}
				return n, r.err
			}
		}
		switch {
		case err == nil:
			if n > 0 {
				return n, nil
			}
		case errors.Is(err, io.EOF):
			r.closeBody()
			r.err = r.verify()
			return n, r.err
		default:
			stalled := context.Cause(r.gctx) == errStalled
			r.closeBody()
			if cerr := r.ctx.Err(); cerr != nil {
				r.err = fmt.Errorf("s3: read %s: %w", r.s.where(r.info.Key), cerr)
				return n, r.err
			}
			if stalled {
				err = fmt.Errorf("%w (%v)", errStalled, r.s.idle)
			}
			// Any other body read error is the connection's (reset,
			// unexpected EOF, timeout): the next call resumes.
			r.lastErr = err
			if n > 0 {
				return n, nil
			}
		}
	}
}

// resume waits (backing off) and re-issues the GET from r.off.
func (r *s3Reader) resume() error {
	r.resumes++
	r.stuck++
	if r.stuck > r.s.maxAttempts || r.resumes > maxResumes {
		return fmt.Errorf("s3: read %s: connection failed at byte %d of %d, %d resumes, giving up: %s",
			r.s.where(r.info.Key), r.off, r.info.Size, r.resumes-1, r.s.creds.redact(fmt.Sprint(r.lastErr)))
	}
	if err := sleep(r.ctx, r.s.backoff.delay(r.stuck)); err != nil {
		return fmt.Errorf("s3: read %s: %w", r.s.where(r.info.Key), err)
	}
	err := r.get()
	var e *s3Error
	if errors.Is(err, ErrChanged) && errors.As(err, &e) {
		return &s3Error{
			msg:  fmt.Sprintf("s3: read %s: the object was overwritten while it was read (after %d of %d bytes, ETag no longer %s); run again to read the new version", r.s.where(r.info.Key), r.off, r.info.Size, r.etag),
			kind: ErrChanged, err: e.err,
		}
	}
	return err
}

// verify checks the whole stream against the listing at EOF.
func (r *s3Reader) verify() error {
	if r.off != r.info.Size {
		return &IntegrityError{Key: r.info.Key, What: "size", Want: fmt.Sprint(r.info.Size), Got: fmt.Sprint(r.off)}
	}
	if r.checkMD5 {
		if got := hex.EncodeToString(r.md5.Sum(nil)); !strings.EqualFold(got, r.etag) {
			return &IntegrityError{Key: r.info.Key, What: "etag", Want: r.etag, Got: got}
		}
	}
	return io.EOF
}

// Close releases the connection. It is safe to call more than once.
func (r *s3Reader) Close() error {
	r.closeBody()
	if r.err == nil {
		r.err = errClosed
	}
	return nil
}
