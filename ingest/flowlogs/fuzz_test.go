package flowlogs

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
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/auditlake/auditlake/ingest/source"
)

// maxFuzzInput bounds one fuzz input, so that memory stays bounded
// whatever the mutator produces; maxSeed bounds corpus seeds.
const (
	maxFuzzInput = 1 << 20
	maxSeed      = 256 << 10
)

// textOnly hides a body's io.ReaderAt, so that Decode reads it as text
// even when the fuzzer writes the Parquet magic.
type textOnly struct{ io.Reader }

// FuzzDecodeText: whatever the input, Decode does not panic; emits batches
// of the table's schema with even columns, valid UTF-8 strings and a valid
// JSON extra column; accounts for every line (rows and skipped records
// never outnumber lines); and leaves the pooled decoder decoding the next
// object exactly as a fresh one does.
func FuzzDecodeText(f *testing.F) {
	for _, s := range textSeeds() {
		f.Add(s)
	}
	for _, s := range []string{
		v2HeaderText + "\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK\n",
		"instance-id srcaddr new-field\n- ::1 x\n\n- 10.0.0.1\n",
		"2 1 eni-1 - - - - - - - 3 4 - NODATA",
		"", "\n", "\r\n\r\n", " ", "version\n2\n", "version version\n2 2\n",
		"srcaddr\n\xff\xfe\n", v2HeaderText + "\n2 1 eni-1 10.0.0.1 10.0.0.2 99999999999 -1 6 1e3 0x10 3 4 ACCEPT OK\n",
		"tgw-id packets-lost-blackhole\ntgw-0a1b \"\\\x00\n",
		"PAR1 not really parquet\n",
	} {
		f.Add([]byte(s))
	}
	want, wantJSON := reference(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		rows, st, err := decodeChecked(t, textOnly{bytes.NewReader(in)})
		if err == nil && rows != st.Rows {
			t.Fatalf("emitted %d, Stats.Rows %d", rows, st.Rows)
		}
		if lines := int64(bytes.Count(in, []byte("\n")) + 1); st.Rows+st.Skipped > lines || rows > lines {
			t.Fatalf("%d rows (%d emitted) + %d skipped from %d lines", st.Rows, rows, st.Skipped, lines)
		}
		checkReference(t, want, wantJSON)
	})
}

// FuzzParquet: arbitrary bytes behind the Parquet magic, given to Decode
// as a seekable body (as the loader spools Parquet objects), never panic and
// give either an error or batches of the table's schema.
func FuzzParquet(f *testing.F) {
	gz := awsParquet(f, parquetText, 2)
	f.Add(gz)
	for _, codec := range []compress.Compression{compress.Codecs.Uncompressed, compress.Codecs.Snappy} {
		f.Add(rewriteParquet(f, gz, codec))
	}
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1PAR1"))
	f.Add(append(append([]byte("PAR1"), make([]byte, 8)...), "PAR1"...))
	want, wantJSON := reference(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		rows, st, err := decodeChecked(t, bytes.NewReader(in))
		if err == nil && rows != st.Rows {
			t.Fatalf("emitted %d, Stats.Rows %d", rows, st.Rows)
		}
		checkReference(t, want, wantJSON)
	})
}

// decodeChecked decodes body as testObj and checks every batch.
func decodeChecked(t *testing.T, body io.Reader) (int64, source.Stats, error) {
	var rows int64
	st, err := New().Decode(context.Background(), testObj, body, func(b arrow.RecordBatch) error {
		defer b.Release()
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
					continue
				}
				v := s.Value(r)
				if !utf8.ValidString(v) {
					t.Fatalf("column %s row %d: invalid UTF-8 %q", b.ColumnName(c), r, v)
				}
				if c == colExtra && !json.Valid([]byte(v)) {
					t.Fatalf("extra row %d: invalid JSON %q", r, v)
				}
			}
		}
		rows += int64(n)
		return nil
	})
	if err != nil && err.Error() == "" {
		t.Fatal("empty error message")
	}
	if len(st.Samples) > source.MaxSamples {
		t.Fatalf("%d samples kept, at most %d", len(st.Samples), source.MaxSamples)
	}
	return rows, st, err
}

// reference decodes a known object on a fresh decoder.
func reference(f *testing.F) ([]map[string]any, []byte) {
	want, _, err := decodeAll(f, testObj, strings.NewReader(parquetText))
	if err != nil || len(want) != 4 {
		f.Fatalf("reference object: %d rows, %v", len(want), err)
	}
	b, _ := json.Marshal(want)
	return want, b
}

// checkReference: the decoder is pooled; whatever the fuzz input did to it,
// the reference object decodes as on a fresh decoder.
func checkReference(t *testing.T, want []map[string]any, wantJSON []byte) {
	got, _, err := decodeAll(t, testObj, strings.NewReader(parquetText))
	if err != nil {
		t.Fatalf("reference object after the fuzz input: %v", err)
	}
	if b, _ := json.Marshal(got); !bytes.Equal(b, wantJSON) {
		t.Fatalf("reference object decodes differently after the fuzz input:\nwant %s\ngot  %s", wantJSON, b)
	}
}

// rewriteParquet rewrites a Parquet file with another compression codec.
func rewriteParquet(t testing.TB, in []byte, codec compress.Compression) []byte {
	t.Helper()
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(in), parquet.NewReaderProperties(memory.DefaultAllocator), pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	var out bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithCompression(codec), parquet.WithMaxRowGroupLength(2))
	if err := pqarrow.WriteTable(tbl, &out, 2, props, pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// textSeeds returns the golden inputs and, when the public corpus is
// present, its flow log files (decompressed, the small ones).
func textSeeds() [][]byte {
	var out [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "input.log"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, b)
		}
	}
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	dir = filepath.Join(dir, "vpcflow")
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
