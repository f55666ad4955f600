package flowlogs

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// benchText builds n default-format records (about 100 bytes each, like
// real ones: private and public IPv4, ephemeral ports, a few NODATA rows).
func benchText(n int, header string, extra func(r *rand.Rand) string) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString(header + "\n")
	start := 1773478800
	for i := range n {
		if i%500 == 0 {
			fmt.Fprintf(&b, "2 123456789012 eni-0%016x - - - - - - - %d %d - NODATA%s\n", r.Uint64()>>4, start, start+60, extra(r))
			continue
		}
		action := "ACCEPT"
		if r.IntN(10) == 0 {
			action = "REJECT"
		}
		fmt.Fprintf(&b, "2 123456789012 eni-0%016x 10.%d.%d.%d %d.%d.%d.%d %d %d 6 %d %d %d %d %s OK%s\n",
			r.Uint64()>>4, r.IntN(256), r.IntN(256), r.IntN(256), 1+r.IntN(223), r.IntN(256), r.IntN(256), r.IntN(256),
			1024+r.IntN(64000), []int{443, 80, 22, 53, 5432}[r.IntN(5)], 1+r.IntN(5000), 40+r.IntN(5000000),
			start+r.IntN(300), start+300+r.IntN(60), action, extra(r))
	}
	return b.Bytes()
}

const v2HeaderText = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

func benchDecode(b *testing.B, in []byte, rows int, body func() any) {
	b.SetBytes(int64(len(in)))
	s := New()
	b.ResetTimer()
	for b.Loop() {
		st, err := s.Decode(context.Background(), testObj, body().(interface{ Read([]byte) (int, error) }), func(r arrow.RecordBatch) error { r.Release(); return nil })
		if err != nil || st.Rows != int64(rows) {
			b.Fatal(err, st.Rows, st.Samples)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkDecodeText measures the text decoder alone (no gzip, no
// database) on one core, default format.
func BenchmarkDecodeText(b *testing.B) {
	const n = 200000
	in := benchText(n, v2HeaderText, func(*rand.Rand) string { return "" })
	benchDecode(b, in, n, func() any { return bytes.NewBuffer(in) })
}

// BenchmarkDecodeTextV5 is a 29-field custom format (about 200 bytes a
// record).
func BenchmarkDecodeTextV5(b *testing.B) {
	const n = 100000
	in := benchText(n, v2HeaderText+" vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path",
		func(r *rand.Rand) string {
			return fmt.Sprintf(" vpc-0%016x subnet-0%016x i-0%016x %d IPv4 10.1.2.3 198.51.100.4 eu-west-1 euw1-az1 - - - AMAZON %s %d",
				r.Uint64()>>4, r.Uint64()>>4, r.Uint64()>>4, r.IntN(32), []string{"ingress", "egress"}[r.IntN(2)], 1+r.IntN(8))
		})
	benchDecode(b, in, n, func() any { return bytes.NewBuffer(in) })
}

// BenchmarkDecodeParquet reads the same default-format records from an
// AWS-style Parquet file (gzip pages, 64k-row row groups).
func BenchmarkDecodeParquet(b *testing.B) {
	const n = 200000
	text := benchText(n, v2HeaderText, func(*rand.Rand) string { return "" })
	in := awsParquet(b, strings.TrimSpace(string(text)), 65536)
	benchDecode(b, in, n, func() any { return bytes.NewReader(in) })
}
