package credreport

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/auditlake/auditlake/ingest/source"
)

// maxFuzzInput bounds one fuzz input, so that memory stays bounded
// whatever the mutator produces; maxSeed bounds corpus seeds.
const (
	maxFuzzInput = 1 << 20
	maxSeed      = 256 << 10
)

// fuzzKeys are the keys a fuzz input is decoded under: each layout, a
// folder that is not an account, and keys no layout matches (the account
// and time then come from the content, or nowhere).
var fuzzKeys = []string{
	"credential-reports/111122223333/2026-10-31T081500Z.csv",
	"credential-reports/111122223333/2026-10-31.csv",
	"credential-reports/111122223333/2026-10-31.csv.gz",
	"credential-reports/prod/2026-10-31T081500Z.csv",
	"exports/iam/credreport.csv",
	"",
}

// FuzzDecode feeds arbitrary bytes (a decompressed credential report) to
// Decode under each kind of key. Whatever the input: no panic; every batch
// has the table's schema, columns of the batch's length and valid UTF-8
// strings; rows and skipped records never outnumber the input's lines; at
// most MaxSamples messages; and the pooled decoder decodes the next object
// exactly as a fresh one does.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds() {
		for k := range fuzzKeys {
			f.Add(s, uint8(k))
		}
	}
	for _, s := range []string{
		"", "\n", "\xef\xbb\xbf", "user,arn\n", "user,arn,user_creation_time\n<root_account>,arn:aws:iam::111122223333:root,N/A\n",
		"# generated_at: 2026-10-31T08:15:00Z\nuser,arn\n", "\"unclosed\n", "user,\"a\"\"b\",c\r\nx,\"y\nz\",w\r\n",
		"user,arn,password_enabled,mfa_active\nalice,arn:aws:iam::1:user/alice,maybe,\xff\n",
	} {
		for k := range fuzzKeys {
			f.Add([]byte(s), uint8(k))
		}
	}
	refBody, err := os.ReadFile(filepath.Join("testdata", "current_format", "input.csv"))
	if err != nil {
		f.Fatal(err)
	}
	refObj := objectFor(fuzzKeys[0])
	want, _, err := decodeAll(f, refObj, bytes.NewReader(refBody))
	if err != nil || len(want) == 0 {
		f.Fatalf("reference object: %d rows, %v", len(want), err)
	}
	wantJSON, _ := json.Marshal(want)
	f.Fuzz(func(t *testing.T, in []byte, k uint8) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		obj := objectFor(fuzzKeys[int(k)%len(fuzzKeys)])
		var rows int64
		st, err := New().Decode(context.Background(), obj, bytes.NewReader(in), func(b arrow.RecordBatch) error {
			defer b.Release()
			rows += checkBatch(t, b)
			return nil
		})
		if err == nil && rows != st.Rows {
			t.Fatalf("emitted %d rows, Stats.Rows says %d", rows, st.Rows)
		}
		if lines := int64(bytes.Count(in, []byte("\n")) + 1); st.Rows+st.Skipped > lines || rows > lines {
			t.Fatalf("%d rows (%d emitted) + %d skipped from %d lines", st.Rows, rows, st.Skipped, lines)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
		if len(st.Samples) > source.MaxSamples {
			t.Fatalf("%d samples kept, at most %d", len(st.Samples), source.MaxSamples)
		}
		got, _, err := decodeAll(t, refObj, bytes.NewReader(refBody))
		if err != nil {
			t.Fatalf("reference object after the fuzz input: %v", err)
		}
		if b, _ := json.Marshal(got); !bytes.Equal(b, wantJSON) {
			t.Fatalf("reference object decodes differently after the fuzz input:\nwant %s\ngot  %s", wantJSON, b)
		}
	})
}

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
			if !s.IsNull(r) && !utf8.ValidString(s.Value(r)) {
				t.Fatalf("column %s row %d: invalid UTF-8 %q", b.ColumnName(c), r, s.Value(r))
			}
		}
	}
	return int64(n)
}

// fuzzSeeds returns the golden inputs and, when the public corpus is
// present, its credential reports.
func fuzzSeeds() [][]byte {
	var out [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "input.csv"))
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	more, _ := filepath.Glob(filepath.Join(dir, "credential-report", "*", "*.csv")) // none when the corpus is absent
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil && len(b) <= maxSeed && !strings.Contains(p, "fuzz") {
			out = append(out, b)
		}
	}
	return out
}
