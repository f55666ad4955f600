package flowlogs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/google/go-cmp/cmp"

	"github.com/auditlake/auditlake/ingest/source"
)

// No public Parquet flow log exists (SOURCES.md section 6): these tests
// write files the way AWS describes them (columns named with "_", INT32
// version/ports/protocol/tcp_flags/traffic_path, INT64 packets/bytes/
// start/end, strings for the rest; gzip pages) from known rows.

// writeParquet writes rows (nil is NULL) as a Parquet file.
func writeParquet(t testing.TB, fields []arrow.Field, rows [][]any, rowGroup int64) []byte {
	t.Helper()
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, row := range rows {
		for i, v := range row {
			fb := b.Field(i)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.Int32Builder:
				fb.Append(int32(v.(int)))
			case *array.Int64Builder:
				fb.Append(int64(v.(int)))
			case *array.Uint64Builder:
				fb.Append(v.(uint64))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(int)))
			default:
				t.Fatalf("writeParquet: no case for %T", fb)
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Gzip), parquet.WithMaxRowGroupLength(rowGroup))
	w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// awsParquet turns a text flow log (header and records) into the Parquet
// file AWS would have written for it.
func awsParquet(t testing.TB, text string, rowGroup int64) []byte {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	header := strings.Fields(lines[0])
	fields := make([]arrow.Field, len(header))
	for i, name := range header {
		typ := arrow.DataType(arrow.BinaryTypes.String)
		if idx := lookup([]byte(name)); idx >= 0 {
			switch catalogue[idx].Kind {
			case kInt32:
				typ = arrow.PrimitiveTypes.Int32
			case kInt64, kEpoch:
				typ = arrow.PrimitiveTypes.Int64
			}
		}
		fields[i] = arrow.Field{Name: strings.ReplaceAll(name, "-", "_"), Type: typ, Nullable: true}
	}
	var rows [][]any
	for n, line := range lines[1:] {
		var row []any
		for i, v := range strings.Fields(line) {
			switch {
			case v == "-" && fields[i].Type.ID() == arrow.STRING && n%2 == 0:
				row = append(row, "-") // some writers keep "-": NULL either way
			case v == "-":
				row = append(row, nil)
			case fields[i].Type.ID() == arrow.STRING:
				row = append(row, v)
			default:
				x, err := strconv.Atoi(v)
				if err != nil {
					t.Fatal(err)
				}
				row = append(row, x)
			}
		}
		rows = append(rows, row)
	}
	return writeParquet(t, fields, rows, rowGroup)
}

const parquetText = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id pkt-src-aws-service flow-direction traffic-path reject-reason
8 123456789010 eni-0a1 198.51.100.7 10.0.1.15 49152 22 6 12 4249 1566848875 1566848933 ACCEPT OK vpc-0a subnet-0b i-0c 2 IPv4 198.51.100.7 10.0.1.15 us-east-1 use1-az1 - ingress - -
8 123456789010 eni-0a1 - - - - - - - 1566848875 1566848933 - NODATA vpc-0a subnet-0b i-0c - - - - us-east-1 use1-az1 - - - -
8 123456789010 eni-0a2 - - - - - - - 1566848875 1566848933 - SKIPDATA vpc-0a subnet-0b - - - - - us-east-1 use1-az1 - - - -
8 123456789010 eni-0a1 2001:db8::5 2001:db8::6 443 50000 6 3000000000 9000000000000 1566848875 1566848933 REJECT OK vpc-0a subnet-0b i-0c 18 IPv6 2001:db8::5 2001:db8::6 us-east-1 use1-az1 S3 egress 8 BPA
`

// TestParquetRoundTrip: the same records as text and as AWS-style Parquet
// decode to identical rows.
func TestParquetRoundTrip(t *testing.T) {
	fromText, st, err := decodeAll(t, testObj, strings.NewReader(parquetText))
	if err != nil || st.Rows != 4 || st.Skipped != 0 {
		t.Fatalf("text: %v, %+v", err, st)
	}
	pq := awsParquet(t, parquetText, 2) // two row groups
	if !bytes.HasPrefix(pq, parquetMagic) {
		t.Fatal("not a Parquet file")
	}
	fromParquet, st, err := decodeAll(t, testObj, bytes.NewReader(pq))
	if err != nil || st.Rows != 4 || st.Skipped != 0 {
		t.Fatalf("parquet: %v, %+v", err, st)
	}
	if diff := cmp.Diff(fromText, fromParquet); diff != "" {
		t.Errorf("text and Parquet rows differ (-text +parquet):\n%s", diff)
	}
	if fromParquet[3]["bytes"] != int64(9000000000000) || fromParquet[1]["log_status"] != "NODATA" || fromParquet[1]["srcaddr"] != nil {
		t.Errorf("unexpected values: %v / %v", fromParquet[3], fromParquet[1])
	}
}

// TestParquetOtherOrderSubsetAndTypes: columns in another order, a subset of
// the fields, hyphenated names, unknown columns, and types another writer
// might choose (INT64 ports, string numbers, a timestamp for start).
func TestParquetOtherOrderSubsetAndTypes(t *testing.T) {
	str, i64 := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64
	fields := []arrow.Field{
		{Name: "log_status", Type: str, Nullable: true},
		{Name: "dstport", Type: i64, Nullable: true},
		{Name: "srcport", Type: str, Nullable: true},
		{Name: "start", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "dst-addr-unknown", Type: str, Nullable: true},
		{Name: "srcaddr", Type: str, Nullable: true},
		{Name: "Account_ID", Type: i64, Nullable: true},
		{Name: "encryption_status", Type: i64, Nullable: true},
		{Name: "packets", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
	}
	rows := [][]any{
		{"OK", 22, "49152", 1566848875123, "x", "198.51.100.7", 123456789010, 1, uint64(5)},
		{"OK", 3389, "-", nil, nil, "203.0.113.9", 123456789010, nil, nil},
		{"OK", 1 << 40, "1", 1566848875000, nil, "203.0.113.9", 1, nil, nil},       // dstport out of range
		{"OK", 1, "http", 1566848875000, nil, "203.0.113.9", 1, nil, nil},          // srcport not a number
		{"OK", 1, "1", 1566848875000, nil, "203.0.113.9", 1, nil, uint64(1) << 63}, // packets beyond BIGINT
	}
	rs, st, err := decodeAll(t, testObj, bytes.NewReader(writeParquet(t, fields, rows, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 2 || st.Skipped != 3 {
		t.Fatalf("%d rows, %d skipped (%v); want 2 and 3", st.Rows, st.Skipped, st.Samples)
	}
	wantSamples := []string{
		"row 3: dstport is 1099511627776, out of range for an INTEGER column",
		`row 4: srcport is "http", not a number for an INTEGER column`,
		"row 5: packets is 9223372036854775808, out of range",
	}
	if diff := cmp.Diff(wantSamples, st.Samples); diff != "" {
		t.Errorf("samples (-want +got):\n%s", diff)
	}
	want := []map[string]any{
		{"log_status": "OK", "dstport": int64(22), "srcport": int64(49152), "start_time": "2019-08-26T19:47:55.123Z", "srcaddr": "198.51.100.7",
			"account_id": "123456789010", "packets": int64(5), "extra": []byte(`{"dst-addr-unknown":"x","encryption-status":1}`)},
		{"log_status": "OK", "dstport": int64(3389), "srcaddr": "203.0.113.9", "account_id": "123456789010"},
	}
	for i := range rs {
		for _, k := range []string{"key_account_id", "key_region", "key_flow_log_id"} {
			delete(rs[i], k)
		}
	}
	if diff := cmp.Diff(want, normalizeExtra(rs)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// normalizeExtra turns json.RawMessage into []byte for comparison.
func normalizeExtra(rows []map[string]any) []map[string]any {
	for _, r := range rows {
		if e, ok := r["extra"]; ok {
			r["extra"] = []byte(fmt.Sprintf("%s", e))
		}
	}
	return rows
}

func TestParquetErrors(t *testing.T) {
	str := arrow.BinaryTypes.String
	cases := []struct {
		name   string
		body   []byte
		want   string
		notLog bool
	}{
		{"float port", writeParquet(t, []arrow.Field{{Name: "srcport", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, [][]any{{1.5}}, 10),
			"parquet: column srcport is float64, which cannot hold INTEGER", false},
		{"no flow log column", writeParquet(t, []arrow.Field{{Name: "user", Type: str, Nullable: true}, {Name: "arn", Type: str, Nullable: true}}, [][]any{{"a", "b"}}, 10),
			"not a VPC flow log: no Parquet column is a flow log field (columns: [user arn])", true},
		{"duplicate column", writeParquet(t, []arrow.Field{{Name: "srcaddr", Type: str, Nullable: true}, {Name: "SRCADDR", Type: str, Nullable: true}}, [][]any{{"a", "b"}}, 10),
			`the Parquet schema names field "SRCADDR" twice`, false},
		{"garbage after the magic", append([]byte("PAR1"), bytes.Repeat([]byte{7}, 100)...), "parquet: ", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := decodeAll(t, testObj, bytes.NewReader(c.body))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || errors.Is(err, ErrNotFlowLog) != c.notLog {
				t.Errorf("error %v, want %q (not-a-flow-log: %v)", err, c.want, c.notLog)
			}
		})
	}
	// A Parquet file truncated in the middle: an error, never a partial load.
	full := awsParquet(t, parquetText, 2)
	if _, _, err := decodeAll(t, testObj, bytes.NewReader(full[:len(full)/2])); err == nil {
		t.Error("truncated Parquet file decoded without error")
	}
}

// TestParquetLarge reads a file of several row groups into batches of at
// most batchRows rows.
func TestParquetLarge(t *testing.T) {
	const n = 40000
	fields := []arrow.Field{
		{Name: "srcport", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "bytes", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "action", Type: arrow.BinaryTypes.String, Nullable: true},
	}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{i % 65536, i * 1000, []string{"ACCEPT", "REJECT"}[i%2]}
	}
	body := writeParquet(t, fields, rows, 9000)
	var got, batches int
	st, err := New().Decode(context.Background(), testObj, bytes.NewReader(body), func(b arrow.RecordBatch) error {
		defer b.Release()
		batches++
		if b.NumRows() > batchRows {
			t.Errorf("batch of %d rows", b.NumRows())
		}
		port := b.Column(colOf("srcport")).(*array.Int32)
		by := b.Column(colOf("bytes")).(*array.Int64)
		for r := range int(b.NumRows()) {
			if int(port.Value(r)) != got%65536 || by.Value(r) != int64(got)*1000 {
				t.Fatalf("row %d: %d %d", got, port.Value(r), by.Value(r))
			}
			got++
		}
		return nil
	})
	if err != nil || st.Rows != n || got != n || batches < 3 {
		t.Errorf("%v: %d rows in %d batches", err, got, batches)
	}
}

func colOf(name string) int {
	for i, c := range table.Columns {
		if c.Name == name {
			return i
		}
	}
	panic(name)
}

// A Parquet body the loader did not spool (no io.ReaderAt) is not mistaken
// for text that happens to start with PAR1: it fails as not a flow log.
func TestParquetNeedsRandomAccess(t *testing.T) {
	body := awsParquet(t, parquetText, 10)
	_, _, err := decodeAll(t, testObj, bytes.NewBuffer(body))
	if err == nil || !errors.Is(err, ErrNotFlowLog) {
		t.Errorf("error %v", err)
	}
	var _ source.Sizer = bytes.NewReader(nil) // what the tests rely on
}
