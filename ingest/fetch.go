package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/gzip"

	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/ingest/source"
)

// task is one object to process.
type task struct {
	seq   int64
	info  objstore.ObjectInfo
	src   source.Source // nil: decided by content (sniffing)
	match source.Match
	prior *prior // the manifest's entry, when the key was seen before
}

// result is what processing one object produced.
type result struct {
	*task
	src      source.Source // resolved (after sniffing)
	batches  []arrow.RecordBatch
	bytes    int64 // Arrow bytes held in batches
	staged   bool  // some batches went to the writer early (large object)
	read     int64 // bytes read from the store
	sha256   string
	stats    source.Stats
	status   string
	err      error
	note     string
	kind     string
	part     source.Partition
	partials int // partial messages sent
}

func (r *result) release() {
	for _, b := range r.batches {
		b.Release()
	}
	r.batches = nil
}

// worker holds what one goroutine reuses from object to object.
type worker struct {
	l   *loader
	gz  *gzip.Reader
	buf *bufio.Reader
	raw *bufio.Reader
}

const (
	sniffBytes = 512
	// maxHead caps what is read of an object no layout recognises before
	// deciding it is not a log file.
	maxHead = 64 << 10
)

var (
	gzipMagic    = []byte{0x1f, 0x8b}
	parquetMagic = []byte("PAR1")
)

// process reads, verifies and decodes one object. It never returns an
// error: the result says what happened. Only cancellation stops it early.
func (w *worker) process(ctx context.Context, t *task) *result {
	res := &result{task: t, src: t.src, kind: t.match.Kind, part: t.match.Partition}
	if !t.match.Load && t.src != nil || t.match.Kind == kindUnsupported {
		res.status, res.note = StatusSkipped, t.match.Note
		return res
	}
	if t.info.Size == 0 {
		res.status, res.err = StatusFailed, errors.New("empty object (0 bytes)")
		return res
	}
	body, err := w.l.store.Open(ctx, t.info)
	if err != nil {
		res.status, res.err = StatusFailed, err
		return res
	}
	defer body.Close()
	hr := &hashReader{r: body, h: sha256.New()}
	err = w.decode(ctx, res, hr)
	if err == nil && res.status != StatusSkipped {
		// Read to the end, so that the hash covers the whole object and
		// the store verifies size and checksum.
		if _, derr := io.Copy(io.Discard, hr); derr != nil {
			err = derr
		}
	}
	res.read = hr.n
	if hr.err != nil {
		// A read error explains a decode error better than the decoder's
		// "unexpected end of data".
		err = hr.err
	}
	switch {
	case ctx.Err() != nil:
		res.status, res.err = StatusFailed, ctx.Err()
	case err != nil:
		res.status, res.err = StatusFailed, err
	case res.status == "":
		res.status = StatusLoaded
	}
	if res.status != StatusSkipped || hr.eof {
		res.sha256 = hex.EncodeToString(hr.h.Sum(nil))
	}
	if res.status != StatusLoaded {
		res.release()
	}
	return res
}

// decode unwraps compression, resolves the source by content when needed and
// runs the decoder.
func (w *worker) decode(ctx context.Context, res *result, hr *hashReader) error {
	w.raw.Reset(hr)
	magic, _ := w.raw.Peek(4)
	if len(magic) == 0 {
		if hr.err != nil {
			return hr.err
		}
		return errors.New("empty object (0 bytes)")
	}
	var plain io.Reader = w.raw
	var spooled *spoolFile
	var tag *errTag
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		if err := w.gz.Reset(w.raw); err != nil {
			return fmt.Errorf("gzip: %w", cleanReadErr(err))
		}
		w.gz.Multistream(true)
		tag = &errTag{r: w.gz, prefix: "gzip"}
		plain = tag
	case bytes.Equal(magic, parquetMagic):
		// Parquet needs random access: spool the object to a temporary
		// file (never to memory) and hand the decoder an io.ReaderAt.
		f, err := spool(w.raw, w.l.cfg.TempDir)
		if err != nil {
			return err
		}
		defer f.Close()
		spooled = f
		plain = f
	}
	if spooled == nil {
		w.buf.Reset(plain)
		plain = w.buf
	}
	if res.src == nil {
		head := w.peekHead(spooled, plain)
		res.src = w.l.sniff(head)
		if res.src == nil {
			res.status = StatusSkipped
			res.kind = kindUnrecognised
			res.note = "not a supported log type (content not recognised)"
			return nil
		}
		res.kind = res.src.Name()
	}
	obj := source.Object{Bucket: w.l.store.Bucket(), Key: res.info.Key, Size: res.info.Size, Kind: res.kind, Partition: res.part}
	var body io.Reader = plain
	if spooled != nil {
		body = spooled
	}
	st, err := res.src.Decode(ctx, obj, body, func(b arrow.RecordBatch) error {
		return w.keep(ctx, res, b)
	})
	res.stats = st
	if st.Partition != nil {
		res.part = *st.Partition
	}
	if err != nil && tag != nil && tag.err != nil {
		err = tag.err // "gzip: unexpected end of data" explains a JSON error
	}
	return err
}

func (w *worker) peekHead(spooled *spoolFile, plain io.Reader) []byte {
	if spooled != nil {
		head := make([]byte, sniffBytes)
		n, _ := spooled.ReadAt(head, 0)
		return head[:n]
	}
	head, _ := w.buf.Peek(sniffBytes)
	return head
}

// keep adds the reference columns to a decoded batch and holds it, or hands
// it to the writer early when the object is large.
func (w *worker) keep(ctx context.Context, res *result, b arrow.RecordBatch) error {
	full := withReference(res.src.Table(), b, w.l.store.Bucket(), res.info.Key)
	b.Release()
	res.batches = append(res.batches, full)
	res.bytes += batchBytes(full)
	if res.bytes >= w.l.spillBytes {
		// A large object: its batches go to a staging table now, so that
		// memory stays bounded whatever the object's size.
		res.staged = true
		res.partials++
		m := &message{partial: res, batches: res.batches}
		res.batches, res.bytes = nil, 0
		select {
		case w.l.inFlight <- struct{}{}: // the writer frees it once staged
		case <-ctx.Done():
			for _, b := range m.batches {
				b.Release()
			}
			return ctx.Err()
		}
		select {
		case w.l.results <- m:
		case <-ctx.Done():
			<-w.l.inFlight
			for _, b := range m.batches {
				b.Release()
			}
			return ctx.Err()
		}
	}
	return nil
}

// withReference appends source_bucket and source_key to a batch.
func withReference(t *source.Table, b arrow.RecordBatch, bucket, key string) arrow.RecordBatch {
	n := int(b.NumRows())
	cols := make([]arrow.Array, 0, b.NumCols()+2)
	cols = append(cols, b.Columns()...)
	for _, v := range []string{bucket, key} {
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		sb.Reserve(n)
		sb.ReserveData(n * len(v))
		for range n {
			sb.Append(v)
		}
		a := sb.NewArray()
		sb.Release()
		cols = append(cols, a)
		defer a.Release()
	}
	return array.NewRecordBatch(t.FullSchema(), cols, int64(n))
}

// hashReader hashes and counts what it reads and remembers the first read
// error.
type hashReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
	eof bool
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	if err == io.EOF {
		h.eof = true
	} else if err != nil && h.err == nil {
		h.err = cleanReadErr(err)
	}
	return n, err
}

// errTag labels errors from a decompressor so that a truncated gzip stream
// is reported as such, not as a JSON syntax error.
type errTag struct {
	r      io.Reader
	prefix string
	err    error
}

func (e *errTag) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", e.prefix, cleanReadErr(err))
		e.err = err
	}
	return n, err
}

func cleanReadErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("unexpected end of data (truncated object?): %w", err)
	}
	return err
}

// spoolFile is a temporary copy of an object that needs random access.
type spoolFile struct {
	*os.File
	size int64
}

func (s *spoolFile) Size() int64 { return s.size }

func (s *spoolFile) Close() error {
	err := s.File.Close()
	os.Remove(s.Name())
	return err
}

func spool(r io.Reader, dir string) (*spoolFile, error) {
	f, err := os.CreateTemp(dir, "auditlake-spool-*")
	if err != nil {
		return nil, fmt.Errorf("spool to temporary file: %w", err)
	}
	n, err := io.Copy(f, r)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &spoolFile{File: f, size: n}, nil
}

// sniff finds the source whose content the head looks like.
func (l *loader) sniff(head []byte) source.Source {
	for _, s := range l.sources {
		if s.Sniff(head) {
			return s
		}
	}
	return nil
}

// batchBytes is the memory a batch's buffers hold. (arrow/util has
// TotalRecordSize, but importing it pulls in protobuf.)
func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, buf := range d.Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
		for _, c := range d.Children() {
			walk(c)
		}
	}
	for _, c := range b.Columns() {
		walk(c.Data())
	}
	return n
}
