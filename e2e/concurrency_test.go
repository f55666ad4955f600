package e2e

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/s3test"
)

// TestIntegrationConcurrentCommands runs a second ingest, sql and status
// while an ingest holds the database (kept busy by a stalled object body).
// DuckDB lets one process write a file and no other process open it, not
// even read-only, so each must fail at once, exit 1, and say why and what
// to do, naming the writer's pid. After the ingest finishes they work.
func TestIntegrationConcurrentCommands(t *testing.T) {
	dir, m := genArchive(t)
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	srv.Upload(t, bucket, dir)
	loc := "s3://" + bucket + "/"
	p := s3test.NewFaultProxy(srv.URL)
	defer p.Close()
	const stall = 6 * time.Second
	p.StallBody(10, stall)

	c := cli{db: filepath.Join(t.TempDir(), "busy.duckdb"), env: withoutEnv(srv.Env(), "AWS_ENDPOINT_URL_S3")}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	writer := c.cmd(ctx, "ingest", "-q", "--workers", "1", "--endpoint-url", p.URL, loc)
	var wout bytes.Buffer
	writer.Stdout, writer.Stderr = &wout, &wout
	start := time.Now()
	if err := writer.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- writer.Wait() }()
	// Wait for the stalled GET: the writer has the database open by then.
	for !strings.Contains(fmt.Sprint(p.Requests()), "stall") {
		if time.Since(start) > 30*time.Second {
			t.Fatal("the ingest never reached the stalled object")
		}
		time.Sleep(20 * time.Millisecond)
	}
	pid := fmt.Sprint(writer.Process.Pid)

	for _, args := range [][]string{
		{"ingest", "-q", "--endpoint-url", srv.URL, loc},
		{"sql", "SELECT count(*) FROM ingest_objects"},
		{"status"},
	} {
		r := c.run(t, args...)
		if r.code != 1 || r.elapsed > stall/2 {
			t.Errorf("%s while an ingest runs: want exit 1 at once, got %s", args[0], r)
		}
		for _, want := range []string{"database is being written by another auditlake process (pid " + pid + ")", "retry when it finishes"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s while an ingest runs: stderr does not say %q:\n%s", args[0], want, r.stderr)
			}
		}
	}
	if err := <-done; err != nil && writer.ProcessState.ExitCode() != 3 {
		t.Fatalf("the ingest holding the database: %v\n%s", err, wout.String())
	}
	if time.Since(start) < stall {
		t.Errorf("the ingest finished in %v, before the %v stall: the commands above did not run while it held the database", time.Since(start), stall)
	}
	r := c.run(t, "sql", "--format", "csv", "SELECT count(*) FROM vpc_flow").want(t, 0, "sql after the ingest")
	if got := strings.TrimSpace(r.stdout); !strings.HasSuffix(got, fmt.Sprint(m.FlowRecords)) {
		t.Errorf("sql after the ingest: %q, want %d flow records", got, m.FlowRecords)
	}
	c.run(t, "status").want(t, 0, "status after the ingest")
}
