package flowlogs

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/google/go-cmp/cmp"

	"github.com/auditlake/auditlake/ingest/source"
)

var update = flag.Bool("update", false, "rewrite testdata want files")

// testObj is the object every golden case is decoded as.
var testObj = source.Object{
	Bucket:    "test-bucket",
	Key:       "AWSLogs/123456789010/vpcflowlogs/us-east-1/2019/08/27/123456789010_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20190827T1913Z_0123abcd.log.gz",
	Kind:      "vpc_flow",
	Partition: source.Partition{Account: "123456789010", Region: "us-east-1", Day: time.Date(2019, 8, 27, 0, 0, 0, 0, time.UTC)},
}

// decodeAll decodes body and returns the rows as JSON objects (NULL columns
// omitted), the stats and the error.
func decodeAll(t testing.TB, obj source.Object, body io.Reader) ([]map[string]any, source.Stats, error) {
	t.Helper()
	var rows []map[string]any
	st, err := New().Decode(context.Background(), obj, body, func(b arrow.RecordBatch) error {
		defer b.Release()
		if !b.Schema().Equal(table.Schema()) {
			t.Fatalf("batch schema differs from the table's")
		}
		for _, c := range b.Columns() {
			if c.Len() != int(b.NumRows()) {
				t.Fatalf("column of %d values in a batch of %d rows", c.Len(), b.NumRows())
			}
		}
		rows = append(rows, rowsOf(b)...)
		return nil
	})
	if err == nil && int64(len(rows)) != st.Rows {
		t.Errorf("emitted %d rows, Stats.Rows says %d", len(rows), st.Rows)
	}
	return rows, st, err
}

func rowsOf(b arrow.RecordBatch) []map[string]any {
	var out []map[string]any
	for r := range int(b.NumRows()) {
		row := map[string]any{}
		for c, col := range b.Columns() {
			if col.IsNull(r) {
				continue
			}
			name := b.ColumnName(c)
			switch a := col.(type) {
			case *array.String:
				if c == colExtra {
					row[name] = json.RawMessage(a.Value(r))
				} else {
					row[name] = a.Value(r)
				}
			case *array.Int32:
				row[name] = int64(a.Value(r))
			case *array.Int64:
				row[name] = a.Value(r)
			case *array.Timestamp:
				row[name] = time.UnixMicro(int64(a.Value(r))).UTC().Format(time.RFC3339Nano)
			default:
				panic("unexpected column type " + col.DataType().String())
			}
		}
		out = append(out, row)
	}
	return out
}

// TestDecodeGolden walks testdata/<case>/input.log: want.jsonl holds the
// stats line and the rows, want.err the error. go test -update rewrites them.
func TestDecodeGolden(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*")
	if len(dirs) == 0 {
		t.Fatal("no testdata")
	}
	for _, dir := range dirs {
		if filepath.Base(dir) == "fuzz" {
			continue // the fuzzers' regression inputs
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, "input.log"))
			if err != nil {
				t.Fatal(err)
			}
			rows, st, err := decodeAll(t, testObj, bytes.NewBuffer(in))
			var got bytes.Buffer
			wantFile := filepath.Join(dir, "want.jsonl")
			if err != nil {
				wantFile = filepath.Join(dir, "want.err")
				got.WriteString(err.Error() + "\n")
			} else {
				line, _ := json.Marshal(map[string]any{"rows": st.Rows, "skipped": st.Skipped, "samples": st.Samples})
				got.Write(append(line, '\n'))
				for _, r := range rows {
					b, _ := json.Marshal(r)
					got.Write(append(b, '\n'))
				}
			}
			if *update {
				os.Remove(filepath.Join(dir, "want.jsonl"))
				os.Remove(filepath.Join(dir, "want.err"))
				if err := os.WriteFile(wantFile, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, rerr := os.ReadFile(wantFile)
			if rerr != nil {
				t.Fatalf("%v (decode error: %v); run go test -update and review the diff", rerr, err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", wantFile, diff)
			}
		})
	}
}
