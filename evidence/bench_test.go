package evidence

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/synth"
	"github.com/auditlake/auditlake/reports"
)

// BenchmarkReport builds the October pack (every framework) from a
// generated month: 31 days, four accounts, every source, the incidents.
// AUDITLAKE_BENCH_EVENTS_PER_DAY sets the CloudTrail volume (default
// 5000; 330000 is a 10M-event month). Generation, ingest and the detection
// run happen once, outside the timer; their times are logged.
func BenchmarkReport(b *testing.B) {
	perDay := 5000
	if s := os.Getenv("AUDITLAKE_BENCH_EVENTS_PER_DAY"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("AUDITLAKE_BENCH_EVENTS_PER_DAY=%q: %v", s, err)
		}
		perDay = n
	}
	cfg := synth.Demo()
	cfg.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Days = 31
	cfg.EventsPerDay = perDay
	cfg.FlowRecordsPerDay = perDay
	dir := b.TempDir()
	t0 := time.Now()
	path, err := buildDB(context.Background(), dir, cfg, []reports.Period{mustPeriod("2026-10")})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generate + ingest + detection run for %d events a day: %s", perDay, time.Since(t0).Round(time.Millisecond))
	db := openRO(b, path)
	var events int64
	if err := db.QueryRow(`SELECT count(*) FROM cloudtrail`).Scan(&events); err != nil {
		b.Fatal(err)
	}
	out := b.TempDir()
	now := genTime
	b.ResetTimer()
	for b.Loop() {
		now = now.Add(time.Second)
		res, err := Build(context.Background(), db, Config{Period: mustPeriod("2026-10"), Frameworks: Frameworks,
			Org: "Example Corp", OutDir: out, Now: fixedNow(now)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(res.Model.Findings)), "findings")
		b.ReportMetric(float64(res.Timings["load"].Milliseconds()), "load-ms")
		b.ReportMetric(float64(res.Timings["pdf"].Milliseconds()), "pdf-ms")
	}
	b.ReportMetric(float64(events), "events")
}
