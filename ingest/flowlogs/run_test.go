package flowlogs_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/ingest/cloudtrail"
	"github.com/auditlake/auditlake/ingest/flowlogs"
	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/ingest/source"
	"github.com/auditlake/auditlake/internal/duck"
)

// fakeBucket is an in-process bucket (the ingest package's memStore is not
// visible from here): flat keys, lexical listing, delimiter prefixes.
type fakeBucket struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (m *fakeBucket) URI() string    { return "s3://fake-flow-bucket" }
func (m *fakeBucket) Bucket() string { return "fake-flow-bucket" }

func (m *fakeBucket) info(k string) objstore.ObjectInfo {
	sum := md5.Sum(m.objects[k])
	return objstore.ObjectInfo{Key: k, Size: int64(len(m.objects[k])), ETag: hex.EncodeToString(sum[:]), LastModified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (m *fakeBucket) List(ctx context.Context, prefix, delim string) iter.Seq2[objstore.Entry, error] {
	return func(yield func(objstore.Entry, error) bool) {
		m.mu.Lock()
		var keys []string
		for k := range m.objects {
			keys = append(keys, k)
		}
		m.mu.Unlock()
		slices.Sort(keys)
		seen := map[string]bool{}
		for _, k := range keys {
			rest, ok := strings.CutPrefix(k, prefix)
			if !ok {
				continue
			}
			if i := strings.Index(rest, delim); delim != "" && i >= 0 {
				if p := prefix + rest[:i+1]; !seen[p] {
					seen[p] = true
					if !yield(objstore.Entry{ObjectInfo: objstore.ObjectInfo{Key: p}, IsPrefix: true}, nil) {
						return
					}
				}
				continue
			}
			m.mu.Lock()
			e := objstore.Entry{ObjectInfo: m.info(k)}
			m.mu.Unlock()
			if !yield(e, nil) {
				return
			}
		}
	}
}

func (m *fakeBucket) Open(ctx context.Context, info objstore.ObjectInfo) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[info.Key]
	if !ok {
		return nil, objstore.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *fakeBucket) Stat(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objects[key]; !ok {
		return objstore.ObjectInfo{}, objstore.ErrNotFound
	}
	return m.info(key), nil
}

func (m *fakeBucket) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = b
	return nil
}

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

const v2Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

// rec is one default-format record at a time.
func rec(acct, src, dst string, dport int, action string, bytes int64, at time.Time) string {
	return fmt.Sprintf("2 %s eni-0a1 %s %s 50000 %d 6 10 %d %d %d %s OK\n", acct, src, dst, dport, bytes, at.Unix(), at.Unix()+60, action)
}

// flowParquet writes AWS-style Parquet: columns named with "_", INT32
// ports, INT64 counters and times.
func flowParquet(t *testing.T, acct string, at time.Time) []byte {
	t.Helper()
	str, i32, i64 := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "version", Type: i32, Nullable: true}, {Name: "account_id", Type: str, Nullable: true},
		{Name: "interface_id", Type: str, Nullable: true}, {Name: "srcaddr", Type: str, Nullable: true},
		{Name: "dstaddr", Type: str, Nullable: true}, {Name: "srcport", Type: i32, Nullable: true},
		{Name: "dstport", Type: i32, Nullable: true}, {Name: "protocol", Type: i32, Nullable: true},
		{Name: "packets", Type: i64, Nullable: true}, {Name: "bytes", Type: i64, Nullable: true},
		{Name: "start", Type: i64, Nullable: true}, {Name: "end", Type: i64, Nullable: true},
		{Name: "action", Type: str, Nullable: true}, {Name: "log_status", Type: str, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i, r := range []struct {
		src, dst string
		port     int32
		action   string
		status   string
	}{{"203.0.113.50", "10.0.2.9", 3389, "ACCEPT", "OK"}, {"10.0.2.9", "198.51.100.200", 443, "ACCEPT", "OK"}, {"", "", 0, "", "NODATA"}} {
		b.Field(0).(*array.Int32Builder).Append(5)
		b.Field(1).(*array.StringBuilder).Append(acct)
		b.Field(2).(*array.StringBuilder).Append("eni-0pq")
		if r.src == "" {
			for f := 3; f <= 9; f++ {
				b.Field(f).AppendNull()
			}
		} else {
			b.Field(3).(*array.StringBuilder).Append(r.src)
			b.Field(4).(*array.StringBuilder).Append(r.dst)
			b.Field(5).(*array.Int32Builder).Append(40000 + int32(i))
			b.Field(6).(*array.Int32Builder).Append(r.port)
			b.Field(7).(*array.Int32Builder).Append(6)
			b.Field(8).(*array.Int64Builder).Append(100)
			b.Field(9).(*array.Int64Builder).Append(6 << 30)
		}
		b.Field(10).(*array.Int64Builder).Append(at.Unix())
		b.Field(11).(*array.Int64Builder).Append(at.Unix() + 60)
		if r.action == "" {
			b.Field(12).AppendNull()
		} else {
			b.Field(12).(*array.StringBuilder).Append(r.action)
		}
		b.Field(13).(*array.StringBuilder).Append(r.status)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Gzip)), pqarrow.DefaultWriterProps())
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

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

var day = time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)

// archive: every key layout flow logs come in, text and Parquet, plus a
// broken object, one with bad records and a flow log under a key no
// layout knows.
func archive(t *testing.T) *fakeBucket {
	at := day.Add(9 * time.Hour)
	m := &fakeBucket{objects: map[string][]byte{}}
	name := func(acct, region, id string) string {
		return fmt.Sprintf("%s_vpcflowlogs_%s_%s_20260314T0905Z_0a1b2c3d", acct, region, id)
	}
	// Default layout under a bucket prefix; SSH from the internet, egress,
	// and a NODATA record.
	m.objects["central/AWSLogs/"+acctA+"/vpcflowlogs/us-east-1/2026/03/14/"+name(acctA, "us-east-1", "fl-000a")+".log.gz"] = gz(v2Header +
		rec(acctA, "198.51.100.7", "10.0.1.15", 22, "ACCEPT", 4000, at) +
		rec(acctA, "10.0.1.15", "203.0.113.80", 443, "ACCEPT", 9<<30, at) +
		"2 " + acctA + " eni-0a1 - - - - - - - 1773478800 1773478860 - NODATA\n")
	// Hourly partition.
	m.objects["AWSLogs/"+acctA+"/vpcflowlogs/us-east-1/2026/03/14/09/"+name(acctA, "us-east-1", "fl-000b")+".log.gz"] = gz(v2Header +
		rec(acctA, "203.0.113.9", "10.0.1.15", 3389, "REJECT", 40, at))
	// Hive layout with hourly partitions, Parquet.
	m.objects["AWSLogs/aws-account-id="+acctB+"/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=03/day=14/hour=09/"+name(acctB, "eu-west-1", "fl-000c")+".log.parquet"] = flowParquet(t, acctB, at)
	// Hive layout, daily, text.
	m.objects["AWSLogs/aws-account-id="+acctB+"/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=03/day=15/"+name(acctB, "eu-west-1", "fl-000d")+".log.gz"] = gz(v2Header +
		rec(acctB, "10.0.3.3", "10.0.3.4", 5432, "ACCEPT", 1000, at.AddDate(0, 0, 1)))
	// Not a flow log, though under vpcflowlogs/.
	m.objects["AWSLogs/"+acctA+"/vpcflowlogs/us-east-1/2026/03/14/"+name(acctA, "us-east-1", "fl-000e")+".log.gz"] = gz("Phony unsupported log format.\n")
	// Bad records: counted, the rest loads.
	m.objects["AWSLogs/"+acctA+"/vpcflowlogs/us-west-2/2026/03/14/"+name(acctA, "us-west-2", "fl-000f")+".log.gz"] = gz(v2Header +
		rec(acctA, "10.0.9.1", "10.0.9.2", 80, "ACCEPT", 10, at) + "2 " + acctA + " eni-0a1 10.0.9.1 10.0.9.2 80\n")
	// A flow log exported elsewhere: recognised by its header.
	m.objects["exports/flows-2026-03-14.log.gz"] = gz(v2Header + rec(acctA, "10.0.7.1", "10.0.7.2", 53, "ACCEPT", 99, at))
	return m
}

func openDB(t *testing.T) *duck.DB {
	t.Helper()
	db, err := duck.Open(context.Background(), filepath.Join(t.TempDir(), "test.duckdb"), duck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var sources = []source.Source{cloudtrail.New(), flowlogs.New()}

func run(t *testing.T, db *duck.DB, store objstore.Store, filter source.Filter) *ingest.Summary {
	t.Helper()
	sum, err := ingest.Run(context.Background(), db, ingest.Config{Store: store, Sources: sources, Workers: 3, Filter: filter})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum
}

func queryRows(t *testing.T, db *duck.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format(time.DateOnly)
			}
			parts = append(parts, fmt.Sprint(v))
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunLoadsEveryLayout(t *testing.T) {
	if !slices.ContainsFunc(ingest.All(), func(s source.Source) bool { return s.Name() == "vpc_flow" }) {
		t.Fatal("ingest.All() does not list the vpc_flow source")
	}
	db := openDB(t)
	store := archive(t)
	sum := run(t, db, store, source.Filter{})
	if sum.Loaded != 6 || sum.Failed != 1 || sum.Rows != 10 || sum.SkippedRecords != 1 {
		t.Errorf("loaded %d, failed %d (%v), rows %d, skipped records %d; want 6, 1, 10, 1", sum.Loaded, sum.Failed, sum.Failures, sum.Rows, sum.SkippedRecords)
	}
	if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Err, "not a VPC flow log") {
		t.Errorf("failures: %v", sum.Failures)
	}
	got := queryRows(t, db, `SELECT log_type, coalesce(account_id, '-'), coalesce(region, '-'), coalesce(CAST(day AS VARCHAR), '-'), status, rows, skipped_records, regexp_extract(key, 'fl-[0-9a-f]+|exports') AS id
FROM ingest_objects ORDER BY id`)
	want := []string{
		"vpc_flow - - - loaded 1 0 exports",
		"vpc_flow 111122223333 us-east-1 2026-03-14 loaded 3 0 fl-000a",
		"vpc_flow 111122223333 us-east-1 2026-03-14 loaded 1 0 fl-000b",
		"vpc_flow 444455556666 eu-west-1 2026-03-14 loaded 3 0 fl-000c",
		"vpc_flow 444455556666 eu-west-1 2026-03-15 loaded 1 0 fl-000d",
		"vpc_flow 111122223333 us-east-1 2026-03-14 failed 0 0 fl-000e",
		"vpc_flow 111122223333 us-west-2 2026-03-14 loaded 1 1 fl-000f",
	}
	if !slices.Equal(got, want) {
		t.Errorf("manifest:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Key columns come from each object's key, in every layout.
	got = queryRows(t, db, `SELECT coalesce(key_flow_log_id, '-'), coalesce(key_account_id, '-'), coalesce(key_region, '-'), count(*), count(*) FILTER (WHERE log_status = 'NODATA')
FROM vpc_flow GROUP BY ALL ORDER BY 1`)
	want = []string{
		"- - - 1 0",
		"fl-000a 111122223333 us-east-1 3 1",
		"fl-000b 111122223333 us-east-1 1 0",
		"fl-000c 444455556666 eu-west-1 3 1",
		"fl-000d 444455556666 eu-west-1 1 0",
		"fl-000f 111122223333 us-west-2 1 0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("vpc_flow by object:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// What the network detections will ask, in a line each.
	got = queryRows(t, db, `SELECT src_ip, dstport, action FROM vpc_flow_enriched
WHERE dstport IN (22, 3389) AND src_is_public AND NOT dst_is_public ORDER BY src_ip`)
	want = []string{"198.51.100.7 22 ACCEPT", "203.0.113.50 3389 ACCEPT", "203.0.113.9 3389 REJECT"}
	if !slices.Equal(got, want) {
		t.Errorf("admin ports from the internet: %v, want %v", got, want)
	}
	got = queryRows(t, db, `SELECT src_ip, sum(bytes) FROM vpc_flow_enriched
WHERE action = 'ACCEPT' AND NOT src_is_public AND dst_is_public GROUP BY ALL HAVING sum(bytes) > 1e9 ORDER BY 1`)
	want = []string{"10.0.1.15 9663676416", "10.0.2.9 6442450944"}
	if !slices.Equal(got, want) {
		t.Errorf("large egress: %v, want %v", got, want)
	}
	got = queryRows(t, db, `SELECT protocol_name, count(*) FROM vpc_flow_enriched WHERE action = 'REJECT' GROUP BY ALL`)
	if !slices.Equal(got, []string{"TCP 1"}) {
		t.Errorf("rejects: %v", got)
	}

	// Again: nothing changed, nothing read.
	sum = run(t, db, store, source.Filter{})
	if sum.Loaded != 0 || sum.Unchanged != 6 {
		t.Errorf("second run: loaded %d, unchanged %d", sum.Loaded, sum.Unchanged)
	}
	// A re-delivered object replaces its rows: no duplicates without a key.
	for k := range store.objects {
		if strings.Contains(k, "fl-000a") {
			store.objects[k] = gz(v2Header + rec(acctA, "198.51.100.7", "10.0.1.15", 22, "ACCEPT", 4000, day.Add(9*time.Hour)))
		}
	}
	run(t, db, store, source.Filter{})
	if got := queryRows(t, db, `SELECT count(*) FROM vpc_flow WHERE key_flow_log_id = 'fl-000a'`); !slices.Equal(got, []string{"1"}) {
		t.Errorf("after re-delivery: %v rows, want 1", got)
	}
}

// Filters prune the Hive layout's folders like the default one's.
func TestRunFilterHiveLayout(t *testing.T) {
	db := openDB(t)
	sum := run(t, db, archive(t), source.Filter{Regions: map[string]bool{"eu-west-1": true}, Since: day, Until: day})
	if sum.Loaded != 2 || sum.Failed != 0 {
		t.Errorf("loaded %d, failed %d: want the eu-west-1 Parquet object of 2026-03-14 and the unpartitioned export", sum.Loaded, sum.Failed)
	}
	got := queryRows(t, db, `SELECT DISTINCT coalesce(key_flow_log_id, 'export') FROM vpc_flow ORDER BY 1`)
	if !slices.Equal(got, []string{"export", "fl-000c"}) {
		t.Errorf("loaded %v", got)
	}
}

// TestIPMacros checks is_private_ip and is_public_ip at the edges of every
// range, for IPv4, IPv6 and IPv4-mapped IPv6.
func TestIPMacros(t *testing.T) {
	db := openDB(t)
	if err := ingest.EnsureSchema(context.Background(), db, sources); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr            string
		private, public any // true, false or nil (NULL)
	}{
		{"10.0.0.0", true, false}, {"10.255.255.255", true, false}, {"9.255.255.255", false, true}, {"11.0.0.0", false, true},
		{"1.10.0.1", false, true}, {"110.0.0.1", false, true},
		{"172.15.255.255", false, true}, {"172.16.0.0", true, false}, {"172.31.255.255", true, false}, {"172.32.0.0", false, true},
		{"192.168.0.0", true, false}, {"192.167.255.255", false, true}, {"192.169.0.0", false, true},
		{"100.63.255.255", false, true}, {"100.64.0.0", true, false}, {"100.127.255.255", true, false}, {"100.128.0.0", false, true},
		{"127.0.0.1", true, false}, {"169.254.169.254", true, false}, {"169.253.0.1", false, true},
		{"8.8.8.8", false, true}, {"203.0.113.5", false, true}, {"0.0.0.0", false, false}, {"223.255.255.255", false, true},
		{"224.0.0.1", false, false}, {"255.255.255.255", false, false},
		{"::1", true, false}, {"::", false, false}, {"fc00::1", true, false}, {"fd12:3456:789a::1", true, false}, {"FD00::1", true, false},
		{"fbff::1", false, true}, {"fe00::1", false, true}, {"fe80::1", true, false}, {"febf:ffff::1", true, false}, {"fec0::1", false, true},
		{"fc0::1", false, true}, {"2001:db8::1", false, true}, {"2600:1f18::1", false, true}, {"ff02::1", false, false},
		{"::ffff:10.1.2.3", true, false}, {"::ffff:8.8.8.8", false, true}, {"::FFFF:192.168.1.1", true, false},
		{"-", nil, nil}, {"", nil, nil},
	}
	for _, c := range cases {
		var private, public any
		if err := db.QueryRow("SELECT is_private_ip(?), is_public_ip(?)", c.addr, c.addr).Scan(&private, &public); err != nil {
			t.Fatal(err)
		}
		if private != c.private || public != c.public {
			t.Errorf("%q: private %v public %v, want %v %v", c.addr, private, public, c.private, c.public)
		}
	}
	var private, public any
	if err := db.QueryRow("SELECT is_private_ip(NULL), is_public_ip(NULL)").Scan(&private, &public); err != nil || private != nil || public != nil {
		t.Errorf("NULL: %v %v %v", private, public, err)
	}
}

// BenchmarkRun measures the whole path for text flow logs: gunzip, decode,
// insert into DuckDB (8 objects of 50,000 default-format records).
func BenchmarkRun(b *testing.B) {
	const objects, perObject = 8, 50000
	m := &fakeBucket{objects: map[string][]byte{}}
	at := day.Add(9 * time.Hour)
	var raw int64
	for o := range objects {
		var sb strings.Builder
		sb.WriteString(v2Header)
		for i := range perObject {
			sb.WriteString(rec(acctA, fmt.Sprintf("10.0.%d.%d", i%256, o), fmt.Sprintf("198.51.%d.%d", i%200, i%250), 443, "ACCEPT", int64(i), at.Add(time.Duration(i)*time.Millisecond)))
		}
		raw += int64(sb.Len())
		m.objects[fmt.Sprintf("AWSLogs/%s/vpcflowlogs/us-east-1/2026/03/14/%s_vpcflowlogs_us-east-1_fl-%04d_20260314T0905Z_0a1b2c3d.log.gz", acctA, acctA, o)] = gz(sb.String())
	}
	b.SetBytes(raw)
	for b.Loop() {
		b.StopTimer()
		db := openDB(&testing.T{})
		b.StartTimer()
		sum, err := ingest.Run(context.Background(), db, ingest.Config{Store: m, Sources: sources})
		if err != nil || sum.Rows != objects*perObject {
			b.Fatal(err, sum.Rows, sum.Failures)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(objects*perObject)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
