package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/internal/s3test"
	"github.com/auditlake/auditlake/internal/synth"
)

// bin is the auditlake binary TestMain builds.
var bin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "auditlake-e2e-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "auditlake")
	// Not race-built: the race detector would slow every run several
	// times, and the loader's concurrency is covered by ingest's own tests
	// under -race. What these tests check is the process seen from outside.
	build := exec.Command("go", "build", "-tags", "duckdb_arrow", "-o", bin, "../cmd/auditlake")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build auditlake: %v\n", err)
		return 1
	}
	return s3test.Main(m)
}

// archiveConfig is the small organisation every test ingests: two days, two
// accounts, two regions, all four sources, the planted incidents and the
// junk objects.
func archiveConfig() synth.Config {
	cfg := synth.Demo()
	cfg.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Days = 2
	cfg.Accounts = 2
	cfg.Regions = []string{"us-east-1", "eu-west-1"}
	cfg.EventsPerDay = 2000
	cfg.EventsPerFile = 200
	cfg.FlowRecordsPerDay = 1000
	cfg.Junk = true
	return cfg
}

var archive struct {
	once sync.Once
	dir  string
	m    *synth.Manifest
	err  error
}

// genArchive writes the archive of archiveConfig once per test binary and
// returns its directory (read-only for the tests) and manifest.
func genArchive(t testing.TB) (string, *synth.Manifest) {
	t.Helper()
	archive.once.Do(func() {
		archive.dir, archive.err = os.MkdirTemp("", "auditlake-e2e-archive-*")
		if archive.err != nil {
			return
		}
		archive.m, archive.err = synth.Generate(context.Background(), archiveConfig(), synth.DirWriter(archive.dir))
	})
	if archive.err != nil {
		t.Fatalf("generate: %v", archive.err)
	}
	return archive.dir, archive.m
}

// hasSource reports whether the loader has a source (credential reports are
// being added while these tests are written).
func hasSource(name string) bool {
	for _, s := range ingest.All() {
		if s.Name() == name || s.Table().Name == name {
			return true
		}
	}
	return false
}

// result is one finished auditlake process.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v\n--- stdout ---\n%s\n--- stderr ---\n%s", r.code, r.elapsed.Round(time.Millisecond), r.stdout, r.stderr)
}

// cli runs the binary with a database and an environment.
type cli struct {
	db  string
	env []string // added to a clean environment
}

// baseEnv is the environment every run starts from: PATH and HOME only, so
// that the developer's AWS configuration cannot leak in.
func baseEnv(home string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + home}
}

func (c cli) cmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, append([]string{"--db", c.db}, args...)...)
	cmd.Env = append(baseEnv(filepath.Dir(c.db)), c.env...)
	return cmd
}

// run runs the binary to the end (at most two minutes).
func (c cli) run(t testing.TB, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := c.cmd(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("auditlake %s: %v\n%s", strings.Join(args, " "), err, r)
	}
	return r
}

// want fails t unless r exited with code.
func (r result) want(t testing.TB, code int, what string) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: want exit %d, got %s", what, code, r)
	}
	return r
}

// openDB opens a database read-only in the test process. Close it before
// the next auditlake process writes.
func openDB(t testing.TB, path string) *duck.DB {
	t.Helper()
	db, err := duck.Open(context.Background(), path, duck.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// dataTables are the source tables the tests compare.
func dataTables() []string {
	out := []string{"cloudtrail", "config_items", "vpc_flow"}
	if hasSource("credential_report") {
		out = append(out, "credential_report")
	}
	return out
}

// dumpOpts selects what a canonical dump leaves out.
type dumpOpts struct {
	noBucket bool // leave out source_bucket and the manifest's bucket and etag (local vs S3)
}

// dump is a canonical digest of a database's contents: for each source
// table, its row count and the MD5 of its rows as text in sorted order; and
// the same for the manifest, without what differs from run to run (run ids,
// times). Two databases with equal dumps hold the same rows.
func dump(t testing.TB, path string, o dumpOpts) map[string]string {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	out := map[string]string{}
	for _, table := range dataTables() {
		sel := "SELECT * FROM " + table
		if o.noBucket {
			sel = "SELECT * EXCLUDE (source_bucket) FROM " + table
		}
		out[table] = digest(t, db, sel)
	}
	cols := "bucket, key, etag, size, sha256, log_type, target_table, account_id, region, day, rows, skipped_records, status, error, note"
	if o.noBucket {
		// A local archive's ETag is a digest of size and mtime, and its
		// errors name the directory instead of s3://bucket.
		cols = "key, size, sha256, log_type, target_table, account_id, region, day, rows, skipped_records, status, note"
	}
	out["ingest_objects"] = digest(t, db, "SELECT "+cols+" FROM ingest_objects")
	return out
}

func digest(t testing.TB, db *duck.DB, sel string) string {
	t.Helper()
	var n int64
	var sum *string
	q := fmt.Sprintf("SELECT count(*), md5(string_agg(r::VARCHAR, chr(10) ORDER BY r::VARCHAR)) FROM (%s) r", sel)
	if err := db.QueryRow(q).Scan(&n, &sum); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	s := ""
	if sum != nil {
		s = *sum
	}
	return fmt.Sprintf("%d rows, md5 %s", n, s)
}

// diffDumps fails t when two dumps differ, naming the tables.
func diffDumps(t testing.TB, what string, want, got map[string]string) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if want[k] != got[k] {
			t.Errorf("%s: table %s differs: want %s, got %s", what, k, want[k], got[k])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d tables, want %d", what, len(got), len(want))
	}
}

// queryInt runs a query returning one integer.
func queryInt(t testing.TB, db *duck.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// expected is what a complete ingest of the archive must hold.
type expected struct {
	rows   map[string]int64  // table -> rows
	failed map[string]string // key -> substring of its error
	// junkEvents are the valid events of junk objects (they load).
	junkEvents int64
}

// expect derives the table contents from the generator's manifest.
func expect(m *synth.Manifest) expected {
	e := expected{rows: map[string]int64{}, failed: map[string]string{}}
	for _, j := range m.Junk {
		e.junkEvents += int64(j.ValidEvents)
		if j.ValidEvents > 0 || !strings.Contains(j.Key, "/CloudTrail/") {
			continue // loads, or lies outside any layout (skipped as unrecognised)
		}
		e.failed[j.Key] = junkError(j.Problem)
	}
	// Duplicate deliveries are removed, insight events land in cloudtrail
	// too.
	e.rows["cloudtrail"] = m.Events + e.junkEvents + m.InsightEvents
	e.rows["vpc_flow"] = m.FlowRecords
	if hasSource("credential_report") {
		e.rows["credential_report"] = m.CredentialReportRows
	}
	return e
}

// junkError is what the error of a junk object must say, by its problem.
func junkError(problem string) string {
	switch {
	case strings.HasPrefix(problem, "truncated gzip"):
		return "gzip: unexpected end of data (truncated object?)"
	case strings.HasPrefix(problem, "gzip of invalid JSON"):
		return "invalid JSON"
	case strings.HasPrefix(problem, "valid gzip and JSON, but not CloudTrail"):
		return `not a CloudTrail log file: no "Records" array`
	case strings.HasPrefix(problem, "empty object"):
		return "empty object (0 bytes)"
	case strings.HasPrefix(problem, "plain text"):
		return "not JSON"
	}
	return "?" + problem
}

// checkContents asserts the table contents of a complete ingest of the
// archive (with the junk objects failed).
func checkContents(t testing.TB, path string, m *synth.Manifest) {
	t.Helper()
	e := expect(m)
	db := openDB(t, path)
	defer db.Close()
	for table, want := range e.rows {
		if got := queryInt(t, db, "SELECT count(*) FROM "+table); got != want {
			t.Errorf("%s: %d rows, want %d (from the generator's manifest)", table, got, want)
		}
	}
	if got := queryInt(t, db, "SELECT count(*) - count(DISTINCT event_id) FROM cloudtrail"); got != 0 {
		t.Errorf("cloudtrail: %d duplicate event ids left", got)
	}
	// The copies dedupe removed are kept aside, one per duplicate delivery.
	if got := queryInt(t, db, "SELECT count(*) FROM ingest_dup_cloudtrail"); got != m.DuplicateDeliveries {
		t.Errorf("cloudtrail: %d copies removed as duplicates, want %d", got, m.DuplicateDeliveries)
	}
	// Config history items, apart from snapshots (whose item count the
	// generator does not record).
	if got := queryInt(t, db, `SELECT count(*) FROM config_items c JOIN ingest_objects o ON o.key = c.source_key AND o.bucket = c.source_bucket
WHERE o.log_type = 'config_history'`); got != m.ConfigItems {
		t.Errorf("config_items from history objects: %d, want %d", got, m.ConfigItems)
	}
	rows, err := db.Query("SELECT key, error FROM ingest_objects WHERE status = 'failed' ORDER BY key")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var k, msg string
		if err := rows.Scan(&k, &msg); err != nil {
			t.Fatal(err)
		}
		got[k] = msg
	}
	for k, want := range e.failed {
		if msg, ok := got[k]; !ok {
			t.Errorf("junk object %s not recorded failed", k)
		} else if !strings.Contains(msg, want) {
			t.Errorf("junk object %s: error %q, want it to say %q", k, msg, want)
		}
	}
	for k, msg := range got {
		if _, ok := e.failed[k]; !ok {
			t.Errorf("object %s failed, but it is not junk: %s", k, msg)
		}
	}
	if n := queryInt(t, db, "SELECT count(*) FROM ingest_objects WHERE status NOT IN ('loaded', 'skipped', 'failed')"); n != 0 {
		t.Errorf("%d manifest rows with an unknown status", n)
	}
}
