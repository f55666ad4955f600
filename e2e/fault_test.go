package e2e

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/s3test"
)

// TestIntegrationFaults runs `auditlake ingest` through s3test.FaultProxy in
// front of MinIO: bursts of 503 SlowDown, dropped connections, bodies cut
// mid-stream, stalled bodies, and short bodies with a matching (wrong)
// Content-Length or a flipped byte. The first kinds must be survived
// (retried or resumed, the objects loaded); the last must never be recorded
// as complete (the object fails with an error naming size or checksum, none
// of its rows load) and load on the next run. The tables then equal a clean
// ingest's.
func TestIntegrationFaults(t *testing.T) {
	dir, m := genArchive(t)
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	srv.Upload(t, bucket, dir)
	loc := "s3://" + bucket + "/"
	tmp := t.TempDir()

	ref := cli{db: filepath.Join(tmp, "ref.duckdb"), env: srv.Env()}
	ref.run(t, "ingest", "-q", loc).want(t, 3, "clean ingest")
	want := dump(t, ref.db, dumpOpts{})

	p := s3test.NewFaultProxy(srv.URL)
	defer p.Close()
	// The listing meets a throttle and a dropped connection first.
	p.SlowDown(2)
	p.DropConnections(1)
	const cuts, stalls, truncs, flips = 6, 2, 3, 2
	for i := range cuts {
		p.CutBody(int64(40 + 90*i))
	}
	p.StallBody(50, 1500*time.Millisecond)
	for i := range truncs {
		p.TruncateBody(int64(20 + 10*i))
	}
	p.StallBody(30, 1500*time.Millisecond)
	for i := range flips {
		p.FlipByte(int64(12 + i))
	}
	env := withoutEnv(srv.Env(), "AWS_ENDPOINT_URL_S3")
	c := cli{db: filepath.Join(tmp, "faults.duckdb"), env: env}
	// Throttling and resets in the middle of the run, once objects are
	// being fetched (the listing's own retries are bounded too: 10
	// attempts).
	stop, armed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(armed)
		for _, at := range []int{60, 200} {
			for len(p.Requests()) < at {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
			p.SlowDown(4)
			p.DropConnections(2)
		}
	}()
	r := c.run(t, "ingest", "--output", "json", "--workers", "8", "--endpoint-url", p.URL, loc).want(t, 3, "ingest through the fault proxy")
	close(stop)
	<-armed
	first := r.elapsed
	s := summary(t, r)

	// What the proxy did, by kind, and the objects whose body it corrupted.
	injected := map[string]int{}
	corrupted := map[string]string{} // key -> fault
	for _, rq := range p.Requests() {
		if rq.Fault == "" {
			continue
		}
		k := strings.SplitN(rq.Fault, " ", 2)[0]
		injected[k]++
		if k == "truncate" || k == "flip" {
			key := strings.SplitN(strings.TrimPrefix(rq.Path, "/"), "/", 2)[1]
			corrupted[key] = rq.Fault
		}
	}
	total := 0
	for _, n := range injected {
		total += n
	}
	if unused := p.Armed(); unused > 0 {
		t.Logf("%d faults armed but not used (the run ended first)", unused)
	}
	if injected["truncate"] != truncs || injected["flip"] != flips {
		t.Fatalf("injected %v: want all %d truncations and %d flips used", injected, truncs, flips)
	}
	failed := map[string]string{}
	db := openDB(t, c.db)
	rows, err := db.Query("SELECT key, error FROM ingest_objects WHERE status = 'failed'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, msg string
		rows.Scan(&k, &msg)
		failed[k] = msg
	}
	rows.Close()
	junk := expect(m).failed
	for k, f := range corrupted {
		msg, ok := failed[k]
		if !ok {
			t.Errorf("%s: the proxy answered with a corrupt body (%s), but the object is not recorded failed", k, f)
			continue
		}
		if !strings.Contains(msg, "size") && !strings.Contains(msg, "etag") && !strings.Contains(msg, "gzip") {
			t.Errorf("%s (%s): error %q does not name size, checksum or gzip", k, f, msg)
		}
		for _, table := range dataTables() {
			if n := queryInt(t, db, "SELECT count(*) FROM "+table+" WHERE source_key = ?", k); n != 0 {
				t.Errorf("%s (%s): %d rows in %s from a corrupt body", k, f, n, table)
			}
		}
	}
	for k, msg := range failed {
		if _, ok := junk[k]; !ok && corrupted[k] == "" {
			t.Errorf("%s failed, but no fault should have made it fail: %s", k, msg)
		}
	}
	db.Close()
	if s.Failed != int64(len(junk)+len(corrupted)) {
		t.Errorf("summary: %d failed, want %d junk + %d corrupted", s.Failed, len(junk), len(corrupted))
	}

	// The next run, through the proxy with nothing armed, loads them.
	p.Reset()
	r = c.run(t, "ingest", "--output", "json", "--endpoint-url", p.URL, loc).want(t, 3, "second run")
	if s := summary(t, r); s.Loaded != int64(len(corrupted)) {
		t.Errorf("second run loaded %d objects, want the %d corrupted ones", s.Loaded, len(corrupted))
	}
	diffDumps(t, "after faults and a re-run vs a clean ingest", want, dump(t, c.db, dumpOpts{}))

	kinds := make([]string, 0, len(injected))
	for k, n := range injected {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	t.Logf("faults injected: %d (%s); survived in the first run: %d; corrupt bodies refused: %d (loaded by the next run); first run %v",
		total, strings.Join(kinds, ", "), total-len(corrupted), len(corrupted), first)
}
