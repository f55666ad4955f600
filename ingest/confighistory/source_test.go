package confighistory

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/auditlake/auditlake/ingest/source"
)

func TestLayouts(t *testing.T) {
	const a = "111122223333"
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		key  string
		kind string // "" when no layout may match
		part source.Partition
		load bool
	}{
		{"AWSLogs/" + a + "/Config/us-east-1/2016/9/27/ConfigHistory/" + a + "_Config_us-east-1_ConfigHistory_AWS::CloudTrail::Trail_20160927T195818Z_20160927T195818Z_1.json.gz",
			KindHistory, source.Partition{Account: a, Region: "us-east-1", Day: day(2016, 9, 27)}, true},
		// Zero-padded dates (hand-made copies), a bucket prefix, an organisation.
		{"logs/config/AWSLogs/o-abc123def4/" + a + "/Config/eu-west-1/2026/03/07/ConfigHistory/x.json.gz",
			KindHistory, source.Partition{Org: "o-abc123def4", Account: a, Region: "eu-west-1", Day: day(2026, 3, 7)}, true},
		{"AWSLogs/" + a + "/Config/ap-southeast-2/2026/12/31/ConfigSnapshot/" + a + "_Config_ap-southeast-2_ConfigSnapshot_20261231T040000Z_4bd8c6a2.json.gz",
			KindSnapshot, source.Partition{Account: a, Region: "ap-southeast-2", Day: day(2026, 12, 31)}, true},
		// Resource ids that are ARNs hold "/".
		{"AWSLogs/" + a + "/Config/us-west-2/2016/10/6/OversizedChangeNotification/AWS::ElasticLoadBalancingV2::LoadBalancer/arn:aws:elasticloadbalancing:us-west-2:" + a + ":loadbalancer/app/web/50dc6c495c0c9188/" + a + "_Config_us-west-2_ChangeNotification_x.json.gz",
			KindOversized, source.Partition{Account: a, Region: "us-west-2", Day: day(2016, 10, 6)}, true},
		{"AWSLogs/" + a + "/Config/ConfigWritabilityCheckFile", KindWritability, source.Partition{Account: a}, false},
		{"prefix/AWSLogs/o-abc123def4/" + a + "/Config/ConfigWritabilityCheckFile", KindWritability, source.Partition{Org: "o-abc123def4", Account: a}, false},
		// Not ours, or not a layout AWS Config writes: decided by content.
		{"AWSLogs/" + a + "/CloudTrail/us-east-1/2026/10/01/" + a + "_CloudTrail_us-east-1_20261001T0000Z_abc.json.gz", "", source.Partition{}, false},
		{"AWSLogs/" + a + "/Config/us-east-1/2026/10/1/SomethingNew/file.json.gz", "", source.Partition{}, false},
		{"AWSLogs/" + a + "/Config/us-east-1/2026/10/1/ConfigHistory/", "", source.Partition{}, false},
		{"AWSLogs/" + a + "/Config/us-east-1/2026/10/123/ConfigHistory/x.json.gz", "", source.Partition{}, false},
	}
	for _, c := range cases {
		m, byKey := classify(c.key)
		if c.kind == "" {
			if byKey {
				t.Errorf("%s: matched %s, want no layout", c.key, m.Kind)
			}
			continue
		}
		if !byKey || m.Kind != c.kind || m.Partition != c.part || m.Load != c.load {
			t.Errorf("%s:\n got %s %+v load=%v\nwant %s %+v load=%v", c.key, m.Kind, m.Partition, m.Load, c.kind, c.part, c.load)
		}
		if !c.load && m.Note == "" {
			t.Errorf("%s: skipped without a note", c.key)
		}
	}
}

func TestSniff(t *testing.T) {
	yes := []string{
		`{"fileVersion":"1.0","configSnapshotId":"x","configurationItems":[`,
		"\xef\xbb\xbf\n{\n  \"fileVersion\" : \"1.0\"",
		`{"configurationItems":[{"resourceId":"sg-1"`,
		`{"NextToken":null, "configurationItems" : [`,
		`{"configurationItemSummary":{"changeType":"UPDATE"`,
		`{"s3ObjectKey":"AWSLogs/1/Config/x","s3Bucket":"b","messageType":"ConfigurationHistoryDeliveryCompleted"}`,
		`{"Type":"Notification","Subject":"[AWS Config:us-east-2] Configuration History Delivery Completed","Message":"`,
		`{"Type":"Notification","Message":"{\"configurationItemSummary\":{`,
	}
	no := []string{
		``, `   `, `[{"configurationItems":[]}]`, `{"Records":[{"eventVersion":"1.08"`,
		`{"digestStartTime":"2026-10-01T00:00:00Z","fileVersion":"1.0"}`, // not first
		`{"description":"configurationItems are described here"}`,
		"version account-id interface-id srcaddr dstaddr\n",
		`{"Type":"Notification","Subject":"Amazon S3 Notification","Message":"{}"}`,
	}
	for _, s := range yes {
		if !New().Sniff([]byte(s)) {
			t.Errorf("not recognised: %s", s)
		}
	}
	for _, s := range no {
		if New().Sniff([]byte(s)) {
			t.Errorf("recognised: %s", s)
		}
	}
}

func TestSnapshotIDFromKey(t *testing.T) {
	for key, want := range map[string]string{
		"AWSLogs/1/Config/r/2026/1/2/ConfigSnapshot/1_Config_r_ConfigSnapshot_20260102T030405Z_4bd8c6a2-2b7e-4c11.json.gz": "4bd8c6a2-2b7e-4c11",
		"AWSLogs/1/Config/r/2026/1/2/ConfigSnapshot/snapshot.json.gz":                                                      "",
		"1_Config_r_ConfigSnapshot_20260102T030405Z":                                                                       "",
	} {
		if got := snapshotIDFromKey(key); got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
}

func TestParseTimes(t *testing.T) {
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMicro()
	}
	for in, want := range map[string]int64{
		"2023-04-27T15:03:11.636Z":       at("2023-04-27T15:03:11.636Z"),
		"2023-04-27T15:03:11Z":           at("2023-04-27T15:03:11Z"),
		"2023-04-27T15:03:11.123456789Z": at("2023-04-27T15:03:11.123456Z"),
		"2023-04-27T17:03:11.5+02:00":    at("2023-04-27T15:03:11.5Z"),
		"2014-02-27T21:43:53.0885+0000":  at("2014-02-27T21:43:53.0885Z"),
		"1394225228.918":                 at("2014-03-07T20:47:08.918Z"),
	} {
		got, ok := parseTime([]byte(in))
		if !ok || got != want {
			t.Errorf("parseTime(%s) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "yesterday", "2023-13-27T15:03:11Z", "2023-04-27T15:03:11.Z", "2023-04-27T15:03:11.6x6Z", "2023-04-27"} {
		if got, ok := parseTime([]byte(in)); ok {
			t.Errorf("parseTime(%s) = %d, want an error", in, got)
		}
	}
	for in, want := range map[string]int64{
		"1394225228":        at("2014-03-07T20:47:08Z"),
		"1394225228.918":    at("2014-03-07T20:47:08.918Z"),
		"1.394225228918E9":  at("2014-03-07T20:47:08.918Z"),
		"1682607791636":     at("2023-04-27T15:03:11.636Z"), // milliseconds
		"1394225228.918273": at("2014-03-07T20:47:08.918273Z"),
	} {
		got, ok := parseEpoch([]byte(in))
		if !ok || got != want {
			t.Errorf("parseEpoch(%s) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"-1", "1682607791636.5", "1e300", "12x", "."} {
		if got, ok := parseEpoch([]byte(in)); ok {
			t.Errorf("parseEpoch(%s) = %d, want an error", in, got)
		}
	}
	for in, want := range map[string]int64{"1682607791636": 1682607791636, "0": 0, "-5": -5, "1.682607791636E12": 1682607791636} {
		if got, ok := parseInt([]byte(in)); !ok || got != want {
			t.Errorf("parseInt(%s) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"3e660fdf-4e34", "1.5", "NaN", "Inf", "99999999999999999999999", ""} {
		if got, ok := parseInt([]byte(in)); ok {
			t.Errorf("parseInt(%s) = %d, want an error", in, got)
		}
	}
}

// Large files are emitted in batches of batchRows, every item once.
func TestDecodeBatches(t *testing.T) {
	n := batchRows*2 + 17
	var b bytes.Buffer
	b.WriteString(`{"fileVersion":"1.0","configurationItems":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"configurationItemCaptureTime":"2026-10-30T09:15:02.118Z","configurationStateId":`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`,"resourceType":"AWS::EC2::Volume","resourceId":"vol-`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`","configuration":{"size":8}}`)
	}
	b.WriteString(`]}`)
	var sizes []int64
	ids := map[string]bool{}
	st, err := New().Decode(context.Background(), source.Object{Kind: KindHistory}, bytes.NewReader(b.Bytes()), func(r arrow.RecordBatch) error {
		defer r.Release()
		sizes = append(sizes, r.NumRows())
		for _, row := range rowsOf(t, r) {
			ids[row["resource_id"].(string)] = true
		}
		return nil
	})
	if err != nil || st.Rows != int64(n) || len(ids) != n {
		t.Fatalf("rows %d, distinct ids %d, err %v; want %d", st.Rows, len(ids), err, n)
	}
	if len(sizes) != 3 || sizes[0] != batchRows || sizes[1] != batchRows || sizes[2] != 17 {
		t.Errorf("batches %v, want two full batches and the rest", sizes)
	}
}

// Cancellation stops a long decode.
func TestDecodeCancel(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"configurationItems":[`)
	for i := range 5000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"configurationItemCaptureTime":"2026-10-30T09:15:02Z","resourceType":"T","resourceId":"r"}`)
	}
	b.WriteString(`]}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New().Decode(ctx, source.Object{}, bytes.NewReader(b.Bytes()), func(r arrow.RecordBatch) error { r.Release(); return nil })
	if err != context.Canceled {
		t.Errorf("err %v, want context.Canceled", err)
	}
}
