package confighistory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/auditlake/auditlake/ingest/source"
)

// benchInput builds one compact history file of n items in the current
// schema: the real EC2 instance item of the corpus (powertools, 6 KB) when
// present, and the security group and S3 bucket items of testdata, each
// copy with its own resource id.
func benchInput(b *testing.B, n int) []byte {
	var items []map[string]json.RawMessage
	var doc struct{ ConfigurationItems []map[string]json.RawMessage }
	if err := json.Unmarshal(mustRead(b, filepath.Join("testdata", "current_schema", "input.json")), &doc); err != nil {
		b.Fatal(err)
	}
	items = append(items, doc.ConfigurationItems...)
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if ev, err := os.ReadFile(filepath.Join(dir, "config", "powertools-lambda-python", "awsConfigRuleConfigurationChanged.invokingEvent.json")); err == nil {
		var n struct{ ConfigurationItem map[string]json.RawMessage }
		if err := json.Unmarshal(ev, &n); err != nil {
			b.Fatal(err)
		}
		items = append(items, n.ConfigurationItem)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"fileVersion":"1.0","configurationItems":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		it := items[i%len(items)]
		it["resourceId"] = json.RawMessage(fmt.Sprintf(`"res-%08d"`, i))
		j, _ := json.Marshal(it) // compact, as AWS delivers
		buf.Write(j)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

func mustRead(b *testing.B, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecode measures the decoder alone (no gzip, no database) on one
// core.
func BenchmarkDecode(b *testing.B) {
	const n = 30000
	in := benchInput(b, n)
	b.SetBytes(int64(len(in)))
	s := New()
	b.ResetTimer()
	for b.Loop() {
		st, err := s.Decode(context.Background(), source.Object{Kind: KindHistory}, bytes.NewReader(in), func(r arrow.RecordBatch) error { r.Release(); return nil })
		if err != nil || st.Rows != n {
			b.Fatal(err, st.Rows)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
