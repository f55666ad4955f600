package queries

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/internal/synth"
)

// benchConfig is a month of the demo organisation with about a million
// CloudTrail events and every other source.
func benchConfig() synth.Config {
	cfg := synth.Demo()
	cfg.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Days = 31
	cfg.EventsPerDay = 33000
	cfg.EventsPerFile = 2000
	cfg.FlowRecordsPerDay = 20000
	return cfg
}

// benchDB returns the benchmark database, generated and ingested once and
// kept in the temporary directory (AUDITLAKE_BENCH_DIR overrides) for the
// next run. AUDITLAKE_BENCH_SCALE=10 times ten times the CloudTrail events.
func benchDB(b *testing.B) (*duck.DB, int64) {
	b.Helper()
	dir := os.Getenv("AUDITLAKE_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "auditlake-bench-queries-v1")
	}
	done := filepath.Join(dir, "ready")
	if _, err := os.Stat(done); err != nil {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		db, _ := synthDB(b, dir, benchConfig())
		db.Close()
		os.RemoveAll(filepath.Join(dir, "archive"))
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated and ingested the benchmark month in %s (cached in %s)", time.Since(start).Round(time.Second), dir)
	}
	path := filepath.Join(dir, "test.duckdb")
	if scale, _ := strconv.Atoi(os.Getenv("AUDITLAKE_BENCH_SCALE")); scale > 1 {
		path = scaledDB(b, dir, path, scale)
	}
	db, err := duck.Open(context.Background(), path, duck.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	var events int64
	if err := db.QueryRow("SELECT count(*) FROM cloudtrail").Scan(&events); err != nil {
		b.Fatal(err)
	}
	return db, events
}

// scaledDB copies the benchmark database with every CloudTrail event
// repeated scale times (under new event ids), to time the detections at
// the target volume (10M events a month) without generating it.
func scaledDB(b *testing.B, dir, base string, scale int) string {
	path := filepath.Join(dir, fmt.Sprintf("test-x%d.duckdb", scale))
	done := path + ".ready"
	if _, err := os.Stat(done); err == nil {
		return path
	}
	os.Remove(path)
	ctx := context.Background()
	db, err := duck.Open(ctx, path, duck.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := ingest.EnsureSchema(ctx, db, ingest.All()); err != nil {
		b.Fatal(err)
	}
	stmts := []string{fmt.Sprintf("ATTACH '%s' AS base (READ_ONLY)", base),
		fmt.Sprintf("INSERT INTO cloudtrail SELECT c.* REPLACE (c.event_id || '#' || i AS event_id) FROM base.cloudtrail c, range(%d) r(i)", scale)}
	for name := range sourceTables() {
		if name != "cloudtrail" {
			stmts = append(stmts, fmt.Sprintf("INSERT INTO %s SELECT * FROM base.%s", name, name))
		}
	}
	stmts = append(stmts, "INSERT INTO ingest_objects SELECT * FROM base.ingest_objects", "DETACH base", "CHECKPOINT")
	for _, stmt := range stmts {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			b.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkRunAllPacks evaluates every embedded detection over a month of
// about a million CloudTrail events (and the other sources) on a read-only
// handle, as `auditlake detect` does.
func BenchmarkRunAllPacks(b *testing.B) {
	db, events := benchDB(b)
	defer db.Close()
	cat, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	cfg := benchConfig()
	rc := RunConfig{WindowStart: cfg.Start, WindowEnd: cfg.Start.AddDate(0, 0, cfg.Days), Catalog: cat}
	if p, err := strconv.Atoi(os.Getenv("AUDITLAKE_BENCH_PARALLEL")); err == nil {
		rc.Parallel = p
	}
	if pack := os.Getenv("AUDITLAKE_BENCH_PACK"); pack != "" {
		rc.Packs = []string{pack}
	}
	var res *RunResult
	b.ResetTimer()
	for b.Loop() {
		if res, err = Evaluate(context.Background(), db.DB, rc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	sort.Slice(res.Results, func(i, j int) bool { return res.Results[i].Duration > res.Results[j].Duration })
	var top string
	for _, r := range res.Results[:min(40, len(res.Results))] {
		top += fmt.Sprintf(" %s=%s(%s)", r.Detection.ID, r.Duration.Round(time.Millisecond), r.Status)
	}
	b.Logf("%d events, %d detections, %d findings; last run %s; slowest:%s", events, len(res.Results), len(res.Findings),
		res.FinishedAt.Sub(res.StartedAt).Round(time.Millisecond), top)
}
