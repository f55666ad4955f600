package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/auditlake/auditlake/ingest/source"
)

// maxFuzzInput bounds what one fuzz input may be, so that memory stays
// bounded whatever the mutator produces.
const maxFuzzInput = 1 << 20

// maxSeed bounds the seeds taken from the public corpus: large seeds slow
// every mutation down without adding shapes.
const maxSeed = 256 << 10

// FuzzDecode feeds arbitrary bytes (a decompressed object body) to Decode.
// Whatever the input: no panic; every batch has the table's schema and
// columns of the batch's length; strings are valid UTF-8 and JSON columns
// valid JSON (DuckDB rejects both otherwise); rows and skipped records never
// outnumber the input's bytes; on success every row has an event_id; and
// the pooled decoder is left in a state that decodes the next object right.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, false)
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"Records":null}`, `{"Records":{}}`, `{"Records":[]}`,
		`{"Records":[{}]}`, `{"Records":[null,1,"x",[],{}]}`,
		`{"Records":[{"eventTime":"2023-07-10T11:45:36Z","eventID":"a"}]}`,
		`{"Records":[{"eventTime":"ThisIsAWrongEventTime"}]}`,
		`{"Records":[{"eventTime":"2023-02-30T11:45:36Z"}]}`,
		`{"Records":[{"userIdentity":null,"requestParameters":{"a":"\ud800"}}]}`,
		`{"Records":[{"userIdentity":{"type":"AssumedRole","sessionContext":{"attributes":{"mfaAuthenticated":"TRUE","creationDate":"20131102T010628Z"}}}}]}`,
		`{"Records":[{"readOnly":"yes","managementEvent":1,"eventTime":5}]}`,
		"{\"Records\":[{\"eventName\":\"\xff\xfe\",\"x\xff\":{\"y\":[1,2\n,3]}}]}",
		`{"Records":[{"eventID":"1"}]} {}`,
		`{"Records":[{"eventID":"1"}],"Records":[{"eventID":"2"}]}`,
		`{"Records":[{"eventID":"1"`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	ref := []byte(`{"Records":[{"eventTime":"2023-07-10T11:45:36Z","eventID":"ref-1","eventName":"GetUser","requestParameters":{"userName":"alice"}}]}`)
	f.Fuzz(func(t *testing.T, in []byte, insight bool) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		kind := "cloudtrail"
		if insight {
			kind = "cloudtrail_insight"
		}
		var rows int64
		st, err := New().Decode(context.Background(), source.Object{Key: "fuzz", Kind: kind}, bytes.NewReader(in), func(b arrow.RecordBatch) error {
			defer b.Release()
			rows += checkBatch(t, b)
			return nil
		})
		if rows > int64(len(in)) || st.Rows+st.Skipped > int64(len(in)) {
			t.Fatalf("%d rows emitted, stats %d rows %d skipped, from %d bytes", rows, st.Rows, st.Skipped, len(in))
		}
		if err == nil && rows != st.Rows {
			t.Fatalf("emitted %d rows, Stats.Rows says %d", rows, st.Rows)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
		if len(st.Samples) > source.MaxSamples {
			t.Fatalf("%d samples kept, at most %d", len(st.Samples), source.MaxSamples)
		}
		// The decoder is pooled: whatever this input did to it, the next
		// object must decode exactly as on a fresh decoder.
		var got []map[string]any
		if _, err := New().Decode(context.Background(), source.Object{Key: "ref", Kind: "cloudtrail"}, bytes.NewReader(ref), func(b arrow.RecordBatch) error {
			defer b.Release()
			got = append(got, rowsOf(b)...)
			return nil
		}); err != nil || len(got) != 1 || got[0]["event_id"] != "ref-1" || string(got[0]["request_parameters"].(json.RawMessage)) != `{"userName":"alice"}` || got[0]["event_name"] != "GetUser" {
			t.Fatalf("reference object after the fuzz input: %v %v", got, err)
		}
	})
}

// checkBatch checks one emitted batch against the table and returns its
// row count.
func checkBatch(t *testing.T, b arrow.RecordBatch) int64 {
	t.Helper()
	if !b.Schema().Equal(table.Schema()) {
		t.Fatalf("batch schema differs from the table's:\n%s", b.Schema())
	}
	n := int(b.NumRows())
	for c, col := range b.Columns() {
		if col.Len() != n {
			t.Fatalf("column %s has %d values in a batch of %d rows", b.ColumnName(c), col.Len(), n)
		}
		s, ok := col.(*array.String)
		if !ok {
			continue
		}
		for r := range n {
			if s.IsNull(r) {
				if c == colEventID {
					t.Fatalf("row %d without event_id", r)
				}
				continue
			}
			v := s.Value(r)
			if !utf8.ValidString(v) {
				t.Fatalf("column %s row %d: invalid UTF-8 %q", b.ColumnName(c), r, v)
			}
			if table.Columns[c].SQL == jsonType && !json.Valid([]byte(v)) {
				t.Fatalf("column %s row %d: invalid JSON %q", b.ColumnName(c), r, v)
			}
		}
	}
	return int64(n)
}

// fuzzSeeds returns the golden inputs and, when the public corpus is
// present, its CloudTrail files (decompressed, the small ones).
func fuzzSeeds(f *testing.F) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "input.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, b)
		}
	}
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	dir = filepath.Join(dir, "cloudtrail")
	if _, err := os.Stat(dir); err != nil {
		return out // no corpus: golden seeds only
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil
			}
			if b, err = io.ReadAll(io.LimitReader(zr, maxSeed+1)); err != nil {
				return nil
			}
		}
		if len(b) <= maxSeed {
			out = append(out, b)
		}
		return nil
	})
	return out
}
