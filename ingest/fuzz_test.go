package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/auditlake/auditlake/ingest/source"
)

// maxFetchFuzzInput bounds a fuzz object. Kept small because gzip inflates:
// 64 KiB can hold tens of MB of zeros, and every execution decodes it all.
const maxFetchFuzzInput = 64 << 10

// FuzzFetch runs the loader's per-object path (worker.process: gzip and
// multistream gzip, Parquet spooling, content sniffing, the decoders and
// the hashing of what was read) on arbitrary object bodies, under a key no
// layout matches (resolved by content) and under a CloudTrail key. Whatever
// the body: no panic; the status is loaded, skipped or failed; a failure
// has an error and holds no batches; a loaded object was read to the end
// and its sha256 is the body's; batches carry the reference columns.
func FuzzFetch(f *testing.F) {
	for _, s := range fetchSeeds(f) {
		f.Add(s, false)
		f.Add(s, true)
	}
	ct := []byte(`{"Records":[{"eventTime":"2026-10-01T00:00:00Z","eventID":"e1"}]}`)
	two := append(gzBytes(ct), gzBytes(ct)...)
	whole := gzBytes(ct)
	for _, s := range [][]byte{
		{}, {0x1f}, {0x1f, 0x8b}, whole[:len(whole)/2], two, append(gzBytes(ct), "trailing garbage"...),
		append(gzBytes(ct), 0x1f, 0x8b, 8, 0), gzBytes(nil), []byte("PAR1"), []byte("PAR1\x00\x00\x00\x00PAR1"),
		gzBytes([]byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK\n")),
		gzBytes([]byte(`{"fileVersion":"1.0","configurationItems":[]}`)),
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, ctKey bool) {
		if len(body) > maxFetchFuzzInput {
			t.Skip()
		}
		key := "fuzz/object"
		if ctKey {
			key = "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/01/111122223333_CloudTrail_eu-west-1_20261001T0000Z_x.json.gz"
		}
		store := newMemStore()
		store.objects[key] = body
		l := &loader{store: store, sources: All(), spillBytes: 1 << 20, results: make(chan *message), inFlight: make(chan struct{}, maxInFlight)}
		for _, s := range l.sources {
			for _, lay := range s.Layouts() {
				l.layouts = append(l.layouts, layoutOf{lay, s})
			}
		}
		l.cfg.Sources = l.sources
		// Early (spilled) batches of large objects: released as the writer
		// would after staging them.
		done := make(chan struct{})
		go func() {
			defer close(done)
			for m := range l.results {
				for _, b := range m.batches {
					b.Release()
				}
				if m.partial != nil {
					<-l.inFlight
				}
			}
		}()
		w := &worker{l: l, gz: new(gzip.Reader), buf: bufio.NewReaderSize(nil, 256<<10), raw: bufio.NewReaderSize(nil, 64<<10)}
		tk := &task{info: store.info(key), match: source.Match{Kind: kindUnrecognised, Load: true}}
		for _, lo := range l.layouts {
			if m, ok := lo.l.Match(key); ok {
				tk.src, tk.match = lo.src, lo.src.Classify(key, m)
				break
			}
		}
		res := w.process(context.Background(), tk)
		close(l.results)
		<-done
		defer res.release()
		switch res.status {
		case StatusLoaded:
			if res.err != nil {
				t.Fatalf("loaded with an error: %v", res.err)
			}
			sum := sha256.Sum256(body)
			if res.read != int64(len(body)) || res.sha256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("loaded after reading %d of %d bytes, sha256 %s", res.read, len(body), res.sha256)
			}
			if res.src == nil {
				t.Fatal("loaded without a source")
			}
			var rows int64
			for _, b := range res.batches {
				if !b.Schema().Equal(res.src.Table().FullSchema()) {
					t.Fatalf("batch schema %s", b.Schema())
				}
				rows += b.NumRows()
			}
			if !res.staged && rows != res.stats.Rows {
				t.Fatalf("%d rows held, stats say %d", rows, res.stats.Rows)
			}
		case StatusFailed:
			if res.err == nil || res.err.Error() == "" {
				t.Fatal("failed without an error message")
			}
			if len(res.batches) != 0 {
				t.Fatal("a failed object holds batches")
			}
		case StatusSkipped:
			if res.note == "" {
				t.Fatal("skipped without a note")
			}
		default:
			t.Fatalf("status %q", res.status)
		}
	})
}

func gzBytes(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// fetchSeeds: the sources' golden inputs, gzipped.
func fetchSeeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, pat := range []string{"cloudtrail/testdata/*/input.json", "flowlogs/testdata/*/input.log", "confighistory/testdata/*/input.json", "credreport/testdata/*/input.csv"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil || len(b) > maxFetchFuzzInput {
				continue
			}
			out = append(out, gzBytes(b))
		}
	}
	if len(out) == 0 {
		f.Fatal("no golden inputs found for seeds")
	}
	return out
}
