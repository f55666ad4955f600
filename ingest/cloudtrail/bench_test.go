package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/auditlake/auditlake/ingest/source"
)

// benchInput replicates the corpus's real events (invictus-ir) n times into
// one {"Records":[...]} document, with unique event ids.
func benchInput(b *testing.B, n int) ([]byte, int) {
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "cloudtrail", "invictus-ir-aws_dataset", "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz"))
	if len(files) == 0 {
		b.Skip("corpus absent")
	}
	var recs []json.RawMessage
	for _, f := range files {
		t := &testing.T{}
		var doc struct{ Records []json.RawMessage }
		json.Unmarshal(readMaybeGzip(t, f), &doc)
		recs = append(recs, doc.Records...)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	count := 0
	for i := range n {
		for _, r := range recs {
			if count > 0 {
				buf.WriteByte(',')
			}
			var c bytes.Buffer
			json.Compact(&c, r)
			buf.Write(bytes.Replace(c.Bytes(), []byte(`"eventID":"`), []byte(`"eventID":"`+string(rune('a'+i%26))), 1))
			count++
		}
	}
	buf.WriteString(`]}`)
	return buf.Bytes(), count
}

// BenchmarkDecode measures the decoder alone (no gzip, no database) on one
// core.
func BenchmarkDecode(b *testing.B) {
	in, n := benchInput(b, 10)
	b.SetBytes(int64(len(in)))
	s := New()
	b.ResetTimer()
	for b.Loop() {
		st, err := s.Decode(context.Background(), source.Object{}, bytes.NewReader(in), func(r arrow.RecordBatch) error { r.Release(); return nil })
		if err != nil || st.Rows != int64(n) {
			b.Fatal(err, st.Rows)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
