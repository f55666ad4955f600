package confighistory

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/google/go-cmp/cmp"

	"github.com/auditlake/auditlake/ingest/source"
)

var update = flag.Bool("update", false, "rewrite testdata want files")

// decodeAll decodes body and returns the rows as JSON objects (NULL columns
// omitted), the stats and the error.
func decodeAll(t testing.TB, obj source.Object, body []byte) ([]map[string]any, source.Stats, error) {
	t.Helper()
	var rows []map[string]any
	st, err := New().Decode(context.Background(), obj, bytes.NewReader(body), func(b arrow.RecordBatch) error {
		defer b.Release()
		if !b.Schema().Equal(table.Schema()) {
			t.Fatalf("batch schema differs from the table's")
		}
		rows = append(rows, rowsOf(t, b)...)
		return nil
	})
	return rows, st, err
}

func rowsOf(t testing.TB, b arrow.RecordBatch) []map[string]any {
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
				if table.Columns[c].SQL == jsonType {
					if !json.Valid([]byte(a.Value(r))) {
						t.Errorf("%s is not valid JSON: %s", name, a.Value(r))
					}
					row[name] = json.RawMessage(a.Value(r))
				} else {
					row[name] = a.Value(r)
				}
			case *array.Int64:
				row[name] = a.Value(r)
			case *array.Timestamp:
				row[name] = time.UnixMicro(int64(a.Value(r))).UTC().Format(time.RFC3339Nano)
			default:
				t.Fatalf("column %s: unexpected array type %T", name, col)
			}
		}
		out = append(out, row)
	}
	return out
}

// classify resolves an object as the loader does: by its key's layout, or,
// when no layout matches, by content.
func classify(key string) (source.Match, bool) {
	for _, l := range layouts {
		if m, ok := l.Match(key); ok {
			return New().Classify(key, m), true
		}
	}
	return source.Match{Kind: kindFromContents, Load: true}, false
}

// TestDecodeGolden walks testdata/<case>/: input.json is the object's
// (decompressed) body and key, when present, its S3 key. want.jsonl holds a
// line about the key and content (layout kind, partition, sniff), the stats
// line and the rows; want.err the error. go test -update rewrites them.
func TestDecodeGolden(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*")
	if len(dirs) == 0 {
		t.Fatal("no testdata")
	}
	for _, dir := range dirs {
		if filepath.Base(dir) == "fuzz" {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, "input.json"))
			if err != nil {
				t.Fatal(err)
			}
			keyb, _ := os.ReadFile(filepath.Join(dir, "key"))
			key := strings.TrimSpace(string(keyb))
			m, byKey := classify(key)
			head := in[:min(len(in), 512)]
			obj := source.Object{Key: key, Kind: m.Kind, Partition: m.Partition, Size: int64(len(in))}
			var got bytes.Buffer
			line, _ := json.Marshal(map[string]any{"kind": m.Kind, "by_key": byKey, "account": m.Partition.Account, "region": m.Partition.Region,
				"org": m.Partition.Org, "day": m.Partition.Day.Format(time.DateOnly), "load": m.Load, "note": m.Note, "sniffed": New().Sniff(head)})
			got.Write(append(line, '\n'))
			wantFile := filepath.Join(dir, "want.jsonl")
			if m.Load {
				rows, st, err := decodeAll(t, obj, in)
				if err != nil {
					wantFile = filepath.Join(dir, "want.err")
					got.Reset()
					got.WriteString(err.Error() + "\n")
				} else {
					if int(st.Rows) != len(rows) {
						t.Errorf("stats say %d rows, %d emitted", st.Rows, len(rows))
					}
					line, _ := json.Marshal(map[string]any{"rows": st.Rows, "skipped": st.Skipped, "samples": st.Samples})
					got.Write(append(line, '\n'))
					for _, r := range rows {
						b, _ := json.Marshal(r)
						got.Write(append(b, '\n'))
					}
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
				t.Fatalf("%v; run go test -update and review the diff", rerr)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", wantFile, diff)
			}
		})
	}
}
