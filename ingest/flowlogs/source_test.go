package flowlogs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/auditlake/auditlake/ingest/source"
)

func TestLayouts(t *testing.T) {
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	const file = "111122223333_vpcflowlogs_eu-west-1_fl-0abc_20260314T0905Z_0a1b2c3d.log.gz"
	for _, c := range []struct {
		key  string
		want source.Partition
	}{
		{"AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/03/14/" + file, source.Partition{Account: "111122223333", Region: "eu-west-1", Day: day}},
		{"prefix/deeper/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/03/14/09/" + file, source.Partition{Account: "111122223333", Region: "eu-west-1", Day: day}},
		{"AWSLogs/o-abc123/111122223333/vpcflowlogs/eu-west-1/2026/03/14/" + file, source.Partition{Org: "o-abc123", Account: "111122223333", Region: "eu-west-1", Day: day}},
		{"AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=03/day=14/" + file, source.Partition{Account: "111122223333", Region: "eu-west-1", Day: day}},
		{"p/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=03/day=14/hour=09/x.log.parquet", source.Partition{Account: "111122223333", Region: "eu-west-1", Day: day}},
		{"AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=03/day=14/09/x.log.parquet", source.Partition{Account: "111122223333", Region: "eu-west-1", Day: day}},
	} {
		m, ok := match(c.key)
		if !ok {
			t.Errorf("%s: no layout matches", c.key)
			continue
		}
		got := New().Classify(c.key, m)
		if !got.Load || got.Kind != "vpc_flow" || got.Partition != c.want {
			t.Errorf("%s: %+v, want partition %+v", c.key, got, c.want)
		}
	}
	for _, key := range []string{
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/14/" + file,
		"AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/03/" + file,
		"AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/03/14/09/10/" + file,
		"AWSLogs/aws-account-id=111122223333/aws-service=cloudtrail/aws-region=eu-west-1/year=2026/month=03/day=14/" + file,
	} {
		if _, ok := match(key); ok {
			t.Errorf("%s: matched", key)
		}
	}
}

func match(key string) (source.LayoutMatch, bool) {
	for _, l := range layouts {
		if m, ok := l.Match(key); ok {
			return m, true
		}
	}
	return source.LayoutMatch{}, false
}

func TestSniff(t *testing.T) {
	long := "version " + strings.Repeat("account-id interface-id srcaddr dstaddr ", 20)
	for _, c := range []struct {
		head string
		want bool
	}{
		{v2HeaderText + "\n2 1 eni-1 ...", true},
		{"\xef\xbb\xbf" + v2HeaderText + "\r\n", true},
		{"instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr\n- eni-1", true},
		{"srcaddr dstaddr action\n", true},
		{long[:512], true}, // a long header cut mid-name
		{"version 1\n", false},
		{"interface-id action log-status\n", false}, // not enough to say
		{"2 123456789010 eni-0a1 198.51.100.7 10.0.1.15 49152 22 6 12 4249 1566848875 1566848933 ACCEPT OK\n", false},
		{`{"Records":[]}`, false},
		{"user,arn,user_creation_time,password_enabled\n", false},
		{"Phony unsupported log format.\n", false},
		{"", false},
	} {
		if got := New().Sniff([]byte(c.head)); got != c.want {
			t.Errorf("Sniff(%.40q) = %v, want %v", c.head, got, c.want)
		}
	}
}

// TestTextBatchesAndFormatChanges decodes a headerless file whose lines
// alternate between two default formats across several batches: columns
// one format lacks are filled with NULLs, rows stay aligned.
func TestTextBatchesAndFormatChanges(t *testing.T) {
	const n = 3*batchRows + 123
	var in bytes.Buffer
	for i := range n {
		fmt.Fprintf(&in, "2 123456789010 eni-%d 10.0.0.1 10.0.0.2 %d 443 6 1 %d 1566848875 1566848933 ACCEPT OK", i, i%60000, i)
		if i%3 == 0 {
			fmt.Fprintf(&in, " vpc-%d subnet-1 - 2 IPv4 - - eu-west-1 - - - - - egress 1", i)
		}
		in.WriteString("\n")
		if i == batchRows+5 {
			// A header takes over for one record, then default formats
			// are not used again: the header stays in force.
			in.WriteString("bytes interface-id vpc-id\n")
			in.WriteString("7 eni-h vpc-h\n")
			break
		}
	}
	var rows, batches int
	st, err := New().Decode(context.Background(), testObj, &in, func(b arrow.RecordBatch) error {
		defer b.Release()
		batches++
		eni := b.Column(colOf("interface_id")).(*array.String)
		vpc := b.Column(colOf("vpc_id")).(*array.String)
		by := b.Column(colOf("bytes")).(*array.Int64)
		ver := b.Column(colOf("version")).(*array.Int32)
		for r := range int(b.NumRows()) {
			i := rows
			if i == batchRows+6 {
				if eni.Value(r) != "eni-h" || vpc.Value(r) != "vpc-h" || by.Value(r) != 7 || ver.IsValid(r) {
					t.Errorf("header row: %s %s %d", eni.Value(r), vpc.Value(r), by.Value(r))
				}
			} else {
				if eni.Value(r) != fmt.Sprintf("eni-%d", i) || by.Value(r) != int64(i) || ver.Value(r) != 2 {
					t.Fatalf("row %d: %s %d", i, eni.Value(r), by.Value(r))
				}
				if wantVPC := i%3 == 0; vpc.IsValid(r) != wantVPC || wantVPC && vpc.Value(r) != fmt.Sprintf("vpc-%d", i) {
					t.Fatalf("row %d: vpc_id valid %v", i, vpc.IsValid(r))
				}
			}
			rows++
		}
		return nil
	})
	if err != nil || st.Skipped != 0 || int(st.Rows) != batchRows+7 || rows != batchRows+7 || batches != 2 {
		t.Errorf("%v: %d rows (%d seen) in %d batches, %d skipped", err, st.Rows, rows, batches, st.Skipped)
	}
}

func TestTextLongLineAndCancel(t *testing.T) {
	in := v2HeaderText + "\n" + strings.Repeat("x", maxLine+10) + "\n"
	_, _, err := decodeAll(t, testObj, strings.NewReader(in))
	if !errors.Is(err, ErrNotFlowLog) || !strings.Contains(err.Error(), "line 2 is longer than") {
		t.Errorf("long line: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := benchText(10000, v2HeaderText, func(*rand.Rand) string { return "" })
	_, err = New().Decode(ctx, testObj, bytes.NewReader(big), func(b arrow.RecordBatch) error { b.Release(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
