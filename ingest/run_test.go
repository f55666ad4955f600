package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/auditlake/auditlake/ingest/source"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/internal/tabular"
)

const acct = "111122223333"

func ctKey(account, region string, day time.Time, name string) string {
	return fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		account, region, day.Format("2006/01/02"), account, region, day.Format("20060102T1504Z"), name)
}

func event(id string, at time.Time, name string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::%[3]s:user/alice","accountId":"%[3]s","userName":"alice"},"eventTime":"%[2]s","eventSource":"iam.amazonaws.com","eventName":"%[4]s","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","requestParameters":{"n":1},"eventID":"%[1]s","eventType":"AwsApiCall","recipientAccountId":"%[3]s"}`,
		id, at.UTC().Format(time.RFC3339), acct, name)
}

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func records(events ...string) []byte {
	return gz(`{"Records":[` + strings.Join(events, ",") + `]}`)
}

var day1 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// archive builds a small bucket: three days of events, one event delivered
// twice in different objects, one delivered late in the next day's folder,
// a digest file and another service's log.
func archive() *memStore {
	m := newMemStore()
	for d := range 3 {
		day := day1.AddDate(0, 0, d)
		for f := range 4 {
			var evs []string
			for e := range 5 {
				at := day.Add(time.Duration(f)*time.Hour + time.Duration(e)*time.Minute)
				evs = append(evs, event(fmt.Sprintf("ev-%d-%d-%d", d, f, e), at, "GetUser"))
			}
			m.objects[ctKey(acct, "us-east-1", day.Add(time.Duration(f)*time.Hour), fmt.Sprintf("f%d", f))] = records(evs...)
		}
	}
	// ev-0-0-0 again in another object of day 1, and ev-0-3-4 (23:04 on day
	// 1... no: 03:04) delivered again on day 2's folder.
	m.objects[ctKey(acct, "us-east-1", day1.Add(5*time.Hour), "dup")] = records(event("ev-0-0-0", day1, "GetUser"), event("late-1", day1.Add(23*time.Hour+59*time.Minute), "DeleteUser"))
	m.objects[ctKey(acct, "us-east-1", day1.AddDate(0, 0, 1).Add(10*time.Minute), "late")] = records(event("ev-0-3-4", day1.Add(3*time.Hour+4*time.Minute), "GetUser"))
	m.objects["AWSLogs/"+acct+"/CloudTrail-Digest/us-east-1/2026/10/01/"+acct+"_CloudTrail-Digest_us-east-1_trail_us-east-1_20261001T010000Z.json.gz"] = gz(`{"awsAccountId":"` + acct + `","digestStartTime":"2026-10-01T00:00:00Z","logFiles":[]}`)
	m.objects["AWSLogs/"+acct+"/elasticloadbalancing/us-east-1/2026/10/01/elb.log.gz"] = gz("h2 2026-10-01T00:00:00Z app/x 192.0.2.1:1 - 0.001")
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

func run(t *testing.T, db *duck.DB, store *memStore, mod func(*Config)) *Summary {
	t.Helper()
	cfg := Config{Store: store, Workers: 3}
	if mod != nil {
		mod(&cfg)
	}
	sum, err := Run(context.Background(), db, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum
}

// dump returns a digest and row count of a table's full contents in a
// stable order, to compare two databases row for row.
func dump(t *testing.T, db *duck.DB, query string) (string, int) {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	h := sha256.New()
	n, err := tabular.Write(h, rows, "jsonl", tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

const allEvents = "SELECT * FROM cloudtrail ORDER BY event_id"

func queryInt(t *testing.T, db *duck.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestRunLoadsOnceAndDeduplicates(t *testing.T) {
	db := openDB(t)
	store := archive()
	sum := run(t, db, store, nil)

	if got, want := sum.Loaded, int64(14); got != want {
		t.Errorf("loaded %d objects, want %d", got, want)
	}
	if sum.Skipped != 2 || sum.Failed != 0 {
		t.Errorf("skipped %d failed %d, want 2 and 0 (digest, ELB log): %+v", sum.Skipped, sum.Failed, sum.Failures)
	}
	if sum.Rows != 63 || sum.Duplicates != 2 {
		t.Errorf("rows %d duplicates %d, want 63 decoded and 2 duplicate deliveries removed", sum.Rows, sum.Duplicates)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail"); n != 61 {
		t.Errorf("%d rows in cloudtrail, want 61 distinct events", n)
	}
	if n := queryInt(t, db, "SELECT count(*) - count(DISTINCT event_id) FROM cloudtrail"); n != 0 {
		t.Errorf("%d duplicate event ids in the table", n)
	}
	// Each event at its own time, from the lexically smallest key that
	// delivered it, whatever folder that was.
	var key string
	var at time.Time
	if err := db.QueryRow("SELECT source_key, event_time FROM cloudtrail WHERE event_id = 'ev-0-3-4'").Scan(&key, &at); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(key, "/2026/10/01/") || !at.Equal(day1.Add(3*time.Hour+4*time.Minute)) {
		t.Errorf("ev-0-3-4 from %s at %s, want the day-1 object and its own time", key, at)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM ingest_objects"); n != 16 {
		t.Errorf("manifest has %d rows, want all 16 objects", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM ingest_objects WHERE log_type = 'cloudtrail_digest' AND status = 'skipped' AND sha256 IS NULL"); n != 1 {
		t.Errorf("digest file not recorded as skipped (and not read)")
	}
	if store.opened[ctKey(acct, "us-east-1", day1, "f0")] != 1 {
		t.Errorf("an object was opened %d times", store.opened[ctKey(acct, "us-east-1", day1, "f0")])
	}
	for k, n := range store.opened {
		if strings.Contains(k, "Digest") || strings.Contains(k, "elasticloadbalancing") {
			t.Errorf("%s downloaded %d times: recognised from its key, it should not be read", k, n)
		}
	}
	var sha string
	db.QueryRow("SELECT sha256 FROM ingest_objects WHERE key = ?", ctKey(acct, "us-east-1", day1, "f0")).Scan(&sha)
	want := sha256.Sum256(store.objects[ctKey(acct, "us-east-1", day1, "f0")])
	if sha != hex.EncodeToString(want[:]) {
		t.Errorf("manifest sha256 %s, want %x", sha, want)
	}

	before, _ := dump(t, db, allEvents)
	again := run(t, db, store, nil)
	if again.Unchanged != 16 || again.Loaded+again.Failed+again.Skipped != 0 {
		t.Errorf("second run: %d unchanged, %d processed; want everything unchanged", again.Unchanged, again.Loaded+again.Failed+again.Skipped)
	}
	after, _ := dump(t, db, allEvents)
	if before != after {
		t.Error("a second run changed the table")
	}
}

// The winner among duplicate deliveries must not depend on load order.
func TestRunDedupeIndependentOfOrder(t *testing.T) {
	var digests []string
	for _, workers := range []int{1, 4} {
		for _, group := range []int{1, 1000} {
			db := openDB(t)
			run(t, db, archive(), func(c *Config) { c.Workers = workers; c.GroupObjects = group })
			d, n := dump(t, db, allEvents)
			if n != 61 {
				t.Errorf("workers %d group %d: %d rows", workers, group, n)
			}
			digests = append(digests, d)
		}
	}
	for _, d := range digests[1:] {
		if d != digests[0] {
			t.Fatalf("tables differ with load order: %v", digests)
		}
	}
}

func TestRunBadInputIsRecordedAndTheRestLoads(t *testing.T) {
	db := openDB(t)
	store := archive()
	good := records(event("g-1", day1, "GetUser"))
	bad := map[string]struct {
		body []byte
		want string
	}{
		"truncated":    {good[:len(good)-8], "gzip: unexpected end of data"},
		"invalid-json": {gz(`{"Records":[{"eventID":"x",}]}`), "invalid JSON"},
		"not-ct":       {gz(`{"foo":1}`), "not a CloudTrail log file"},
		"empty":        {nil, "empty object (0 bytes)"},
		"plain-text":   {[]byte("hello, this is not JSON\n"), "not JSON"},
		"gzip-garbage": {append([]byte{0x1f, 0x8b}, []byte("not really gzip data at all")...), "gzip:"},
	}
	for name, b := range bad {
		store.objects[ctKey(acct, "eu-west-1", day1, name)] = b.body
	}
	denied := ctKey(acct, "eu-west-1", day1, "denied")
	store.objects[denied] = good
	store.failKey[denied] = errDenied
	store.objects["README.txt"] = []byte("This bucket holds our logs.")

	sum := run(t, db, store, nil)
	if sum.Failed != int64(len(bad)+1) {
		t.Errorf("failed %d, want %d: %+v", sum.Failed, len(bad)+1, sum.Failures)
	}
	for name, b := range bad {
		var status, msg string
		db.QueryRow("SELECT status, error FROM ingest_objects WHERE key = ?", ctKey(acct, "eu-west-1", day1, name)).Scan(&status, &msg)
		if status != StatusFailed || !strings.Contains(msg, b.want) {
			t.Errorf("%s: status %q error %q, want failed with %q", name, status, msg, b.want)
		}
	}
	var status, msg string
	db.QueryRow("SELECT status, error FROM ingest_objects WHERE key = ?", denied).Scan(&status, &msg)
	if status != StatusFailed || !strings.Contains(msg, "AccessDenied") {
		t.Errorf("denied key: %q %q", status, msg)
	}
	db.QueryRow("SELECT status, note FROM ingest_objects WHERE key = 'README.txt'").Scan(&status, &msg)
	if status != StatusSkipped || !strings.Contains(msg, "not recognised") {
		t.Errorf("README.txt: %q %q, want skipped as unrecognised", status, msg)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail"); n != 61 {
		t.Errorf("%d rows, want the 61 good events and nothing from bad objects", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail WHERE source_key LIKE '%eu-west-1%'"); n != 0 {
		t.Errorf("%d rows from failed objects", n)
	}

	// Fix the denied object: the next run retries failed objects only.
	delete(store.failKey, denied)
	again := run(t, db, store, nil)
	if again.Loaded != 1 || again.Failed != int64(len(bad)) {
		t.Errorf("re-run loaded %d failed %d, want the fixed object loaded and the broken ones failing again", again.Loaded, again.Failed)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM ingest_objects WHERE key = ?", denied); n != 1 {
		t.Errorf("%d manifest rows for a retried object", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail"); n != 62 {
		t.Errorf("%d rows after the retry, want 62", n)
	}
}

func TestRunChangedObjectReplacesItsRows(t *testing.T) {
	db := openDB(t)
	store := archive()
	run(t, db, store, nil)
	k := ctKey(acct, "us-east-1", day1.AddDate(0, 0, 2), "f0")
	store.objects[k] = records(event("replacement-1", day1.AddDate(0, 0, 2), "ListUsers"))
	sum := run(t, db, store, nil)
	if sum.Loaded != 1 || sum.Unchanged != 15 {
		t.Errorf("loaded %d unchanged %d, want 1 and 15", sum.Loaded, sum.Unchanged)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail WHERE source_key = ?", k); n != 1 {
		t.Errorf("%d rows from the changed object, want its 1 new event", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail"); n != 57 {
		t.Errorf("%d rows, want 61 - 5 + 1", n)
	}
}

func TestRunFilterPrunesListing(t *testing.T) {
	db := openDB(t)
	store := archive()
	other := "444455556666"
	store.objects[ctKey(other, "us-east-1", day1, "x")] = records(event("other-1", day1, "GetUser"))
	store.objects[ctKey(acct, "eu-west-1", day1, "x")] = records(event("euw-1", day1, "GetUser"))
	sum := run(t, db, store, func(c *Config) {
		c.Filter = source.Filter{Since: day1.AddDate(0, 0, 1), Until: day1.AddDate(0, 0, 1), Accounts: map[string]bool{acct: true}, Regions: map[string]bool{"us-east-1": true}}
	})
	if sum.Loaded != 5 {
		t.Errorf("loaded %d objects, want day 2's 5 (4 + the late delivery)", sum.Loaded)
	}
	for _, p := range store.listed {
		for _, never := range []string{other, "eu-west-1", "/2026/10/01/", "/2026/10/03/", "elasticloadbalancing/us"} {
			if strings.Contains(p, never) {
				t.Errorf("listed %q: the filter rules it out", p)
			}
		}
	}
}

func TestRunLargeObjectsStream(t *testing.T) {
	db := openDB(t)
	store := newMemStore()
	var evs []string
	for i := range 3000 {
		evs = append(evs, event(fmt.Sprintf("big-%05d", i), day1.Add(time.Duration(i)*time.Second), "GetObject"))
	}
	big := records(evs...)
	store.objects[ctKey(acct, "us-east-1", day1, "big")] = big
	// A large object that breaks after some batches have been staged.
	store.objects[ctKey(acct, "us-east-1", day1, "bigbroken")] = big[:len(big)*3/4]
	sum := run(t, db, store, func(c *Config) { c.SpillBytes = 64 << 10 })
	if sum.Loaded != 1 || sum.Failed != 1 {
		t.Fatalf("loaded %d failed %d: %+v", sum.Loaded, sum.Failed, sum.Failures)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail"); n != 3000 {
		t.Errorf("%d rows, want 3000 from the good object and none of the broken one's staged rows", n)
	}
}

func TestRunCancelThenResumeGivesSameTables(t *testing.T) {
	clean := openDB(t)
	run(t, clean, archive(), nil)
	want, _ := dump(t, clean, allEvents)

	db := openDB(t)
	store := archive()
	for i := 1; ; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		p := &Progress{}
		go func() {
			for p.Committed() < int64(2*i) && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		sum, err := Run(ctx, db, Config{Store: store, Workers: 2, GroupObjects: 2, Progress: p})
		cancel()
		if err == nil {
			break
		}
		if !sum.Interrupted {
			t.Fatalf("run %d: %v", i, err)
		}
		if i > 20 {
			t.Fatal("never finished")
		}
	}
	got, _ := dump(t, db, allEvents)
	if got != want {
		t.Error("interrupted and resumed runs give a different table than one clean run")
	}
	if n := queryInt(t, db, "SELECT count(*) FROM ingest_objects"); n != 16 {
		t.Errorf("%d manifest rows, want 16", n)
	}
}

func TestCoverageShowsGapsAndFailures(t *testing.T) {
	db := openDB(t)
	store := archive()
	// Day 3 of eu-west-1 has only a broken object; day 2 has nothing.
	store.objects[ctKey(acct, "eu-west-1", day1, "ok")] = records(event("euw-1", day1, "GetUser"))
	store.objects[ctKey(acct, "eu-west-1", day1.AddDate(0, 0, 2), "broken")] = []byte("garbage")
	run(t, db, store, nil)
	streams, err := Coverage(context.Background(), db, day1, day1.AddDate(0, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range streams {
		states := ""
		for _, d := range s.Days {
			states += map[string]string{"ok": "+", "no data": ".", "failed objects": "x"}[d.State]
		}
		got[s.Source+" "+s.Region] = states
	}
	want := map[string]string{
		"cloudtrail us-east-1": "+++.", // day 4 of the range has nothing
		"cloudtrail eu-west-1": "+.x.",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("coverage (-want +got):\n%s", diff)
	}
}
