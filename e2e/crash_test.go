package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/s3test"
)

// killAfter starts the command and sends it SIGKILL after d. It reports
// whether the process was still running when killed.
func killAfter(t testing.TB, c cli, d time.Duration, args ...string) (killed bool, out string) {
	t.Helper()
	cmd := c.cmd(context.Background(), args...)
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return false, buf.String()
	case <-time.After(d):
	}
	cmd.Process.Signal(syscall.SIGKILL)
	err := <-done
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		return true, buf.String()
	}
	return false, fmt.Sprint(err, buf.String()) // it finished first
}

// checkCrashState asserts what must hold after a kill -9 at any point: the
// database opens (DuckDB replays its WAL), every row in a data table belongs
// to an object the manifest records as loaded (an object's rows and its
// manifest row are committed together), and no object has more rows than
// the manifest says it decoded. It returns the manifest's size.
func checkCrashState(t testing.TB, path string) int64 {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return 0 // killed before the database was created
	}
	db := openDB(t, path)
	defer db.Close()
	if queryInt(t, db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ingest_objects'") == 0 {
		return 0 // killed while creating the schema
	}
	for _, table := range dataTables() {
		if queryInt(t, db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", table) == 0 {
			continue
		}
		if n := queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM (SELECT DISTINCT source_bucket, source_key FROM %s) r
WHERE NOT EXISTS (SELECT 1 FROM ingest_objects o WHERE o.bucket = r.source_bucket AND o.key = r.source_key AND o.status = 'loaded')`, table)); n != 0 {
			t.Errorf("after kill: %d objects with rows in %s but not recorded loaded in the manifest", n, table)
		}
		if n := queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM (SELECT source_bucket, source_key, count(*) AS n FROM %s GROUP BY ALL) r
JOIN ingest_objects o ON o.bucket = r.source_bucket AND o.key = r.source_key WHERE r.n > o.rows`, table)); n != 0 {
			t.Errorf("after kill: %d objects with more rows in %s than the manifest says they hold", n, table)
		}
	}
	return queryInt(t, db, "SELECT count(*) FROM ingest_objects")
}

// TestIntegrationCrashSafety kills `auditlake ingest` with SIGKILL at random
// points, three times in a row on the same database, checks what the killed runs
// left, re-runs to completion and compares the tables with a clean single
// run's, row for row.
func TestIntegrationCrashSafety(t *testing.T) {
	dir, m := genArchive(t)
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	srv.Upload(t, bucket, dir)
	loc := "s3://" + bucket + "/"
	tmp := t.TempDir()
	// Commits every quarter second (the writer's tick), so that kills land
	// between group commits, not only before the first.
	args := []string{"ingest", "-q", "--workers", "2", "--group-age", "100ms", loc}

	ref := cli{db: filepath.Join(tmp, "ref.duckdb"), env: srv.Env()}
	r := ref.run(t, args...).want(t, 3, "clean run")
	checkContents(t, ref.db, m)
	want := dump(t, ref.db, dumpOpts{})
	// Kill anywhere in the first 1.5 s, or in a clean run's time if that
	// is shorter: most of a first run (start-up, listing, group commits),
	// and the ends of resumed runs, which have less to do (final commit,
	// dedupe pass, run record).
	span := min(1450*time.Millisecond, max(r.elapsed-50*time.Millisecond, 100*time.Millisecond))
	t.Logf("clean run: %v; kills after 50 ms to %v", r.elapsed, span+50*time.Millisecond)

	// Rounds of up to three kills on one database, until 20 kills (5 with
	// -short) have landed mid-run.
	wantKills, maxRounds, perRound := 20, 30, 3
	if testing.Short() {
		wantKills = 5
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)
	kills, early := 0, 0
	var grown []string
	for round := 0; round < maxRounds && kills < wantKills; round++ {
		c := cli{db: filepath.Join(tmp, fmt.Sprintf("crash%d.duckdb", round)), env: srv.Env()}
		for k := range perRound {
			// A resumed run has less left to do than the one before it, so
			// each later kill of a round draws from a shorter span.
			d := 50*time.Millisecond + time.Duration(rng.Int64N(max(int64(span)>>k, int64(100*time.Millisecond))))
			killed, out := killAfter(t, c, d, args...)
			if !killed {
				early++
				t.Logf("round %d: finished before the kill at %v: %s", round, d, strings.TrimSpace(out))
				break // nothing left to interrupt
			}
			kills++
			n := checkCrashState(t, c.db)
			grown = append(grown, fmt.Sprintf("%v→%d", d.Round(time.Millisecond), n))
		}
		c.run(t, args...).want(t, 3, "re-run after kills")
		diffDumps(t, fmt.Sprintf("round %d: after kills and a re-run vs a clean run", round), want, dump(t, c.db, dumpOpts{}))
		db := openDB(t, c.db)
		// Every killed run is marked interrupted by the next one; only the
		// last run finished.
		if n := queryInt(t, db, "SELECT count(*) FROM ingest_runs WHERE status NOT IN ('interrupted', 'partial')"); n != 0 {
			t.Errorf("round %d: %d runs neither interrupted nor partial", round, n)
		}
		if n := queryInt(t, db, "SELECT count(*) FROM ingest_dirty"); n != 0 {
			t.Errorf("round %d: %d time windows left to deduplicate", round, n)
		}
		db.Close()
	}
	t.Logf("%d kills survived (%d runs finished before their kill); kill delay → manifest rows: %s", kills, early, strings.Join(grown, ", "))
	if kills < wantKills {
		t.Errorf("only %d runs were killed mid-run, want %d", kills, wantKills)
	}
}

// checkDetectRuns asserts that every recorded detection run is whole: it
// has a result for each of the detections a complete run has, its findings
// match its results' counts, and no result or finding belongs to a run that
// is not recorded. It returns the number of runs.
func checkDetectRuns(t testing.TB, path string, detections int64) int64 {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	if queryInt(t, db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'detection_runs'") == 0 {
		return 0
	}
	if n := queryInt(t, db, `SELECT count(*) FROM detection_runs d
WHERE (SELECT count(*) FROM detection_results r WHERE r.run_id = d.run_id) <> ?`, detections); n != 0 {
		t.Errorf("%d detection runs without a result for each of the %d detections", n, detections)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM detection_runs d
WHERE (SELECT coalesce(sum(finding_count), 0) FROM detection_results r WHERE r.run_id = d.run_id)
   <> (SELECT count(*) FROM findings f WHERE f.run_id = d.run_id)`); n != 0 {
		t.Errorf("%d detection runs whose findings do not match their results", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM (SELECT run_id FROM detection_results UNION ALL SELECT run_id FROM findings) x
WHERE run_id NOT IN (SELECT run_id FROM detection_runs)`); n != 0 {
		t.Errorf("%d results or findings of runs that are not recorded", n)
	}
	return queryInt(t, db, "SELECT count(*) FROM detection_runs")
}

// lastRun digests the results and findings of the latest detection run,
// without what differs between runs (run id, durations, times).
func lastRun(t testing.TB, path string) string {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	last := "(SELECT run_id FROM detection_runs ORDER BY started_at DESC LIMIT 1)"
	return digest(t, db, "SELECT detection_id, status, finding_count, sql_sha256 FROM detection_results WHERE run_id = "+last) + "; " +
		digest(t, db, "SELECT * EXCLUDE (run_id) FROM findings WHERE run_id = "+last)
}

// TestDetectCrashSafety kills `auditlake detect` with SIGKILL at random
// points: a run is recorded whole or not at all, and the database stays
// usable for the next run, whose results equal a clean run's.
func TestDetectCrashSafety(t *testing.T) {
	dir, _ := genArchive(t)
	tmp := t.TempDir()
	c := cli{db: filepath.Join(tmp, "detect.duckdb")}
	c.run(t, "ingest", "-q", dir).want(t, 3, "ingest")
	args := []string{"detect", "-q", "--since", "2026-10-01", "--until", "2026-10-02"}
	ref := cli{db: filepath.Join(tmp, "ref.duckdb")}
	data, err := os.ReadFile(c.db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ref.db, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := ref.run(t, args...).want(t, 0, "clean detect")
	db := openDB(t, ref.db)
	detections := queryInt(t, db, "SELECT count(*) FROM detection_results")
	db.Close()
	if detections == 0 {
		t.Fatal("a clean detect run recorded no results")
	}
	want := lastRun(t, ref.db)
	span := r.elapsed + r.elapsed/4
	t.Logf("clean detect: %v, %d detections; kills after 20 ms to %v", r.elapsed, detections, span)

	n := 10
	if testing.Short() {
		n = 3
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("seed %d", seed)
	kills, recorded := 0, int64(0)
	for range n {
		d := 20*time.Millisecond + time.Duration(rng.Int64N(int64(span)))
		if killed, _ := killAfter(t, c, d, args...); killed {
			kills++
		}
		recorded = checkDetectRuns(t, c.db, detections)
	}
	c.run(t, args...).want(t, 0, "detect after the kills")
	if got := checkDetectRuns(t, c.db, detections); got != recorded+1 {
		t.Errorf("%d runs recorded after the last run, want %d", got, recorded+1)
	}
	if got := lastRun(t, c.db); got != want {
		t.Errorf("detect after kills: %s, want (as a clean run) %s", got, want)
	}
	t.Logf("%d of %d detect runs killed; %d completed before their kill and were recorded whole", kills, n, recorded)
}
