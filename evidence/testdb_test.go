package evidence

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/internal/synth"
	"github.com/auditlake/auditlake/queries"
	"github.com/auditlake/auditlake/reports"
)

// testDBConfig is a small slice of the demo organisation: three days of
// October 2026 (the incidents are spread over the generated days), four
// accounts, every source.
func testDBConfig() synth.Config {
	cfg := synth.Demo()
	cfg.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Days = 3
	cfg.EventsPerDay = 2000
	cfg.EventsPerFile = 250
	cfg.FlowRecordsPerDay = 2000
	return cfg
}

var (
	sharedOnce sync.Once
	sharedPath string
	sharedErr  error
	sharedDir  string
)

// sharedDB returns the path of a database ingested from the generated
// archive, with a detection run recorded for October 2026 and one for
// September (the trend baseline, which has no data). It is built once per
// test binary; tests open it read-only.
func sharedDB(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "evidence-test-")
		if sharedErr != nil {
			return
		}
		sharedPath, sharedErr = buildDB(context.Background(), sharedDir, testDBConfig(),
			[]reports.Period{mustPeriod("2026-09"), mustPeriod("2026-10")})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, db := range ro {
		db.Close()
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

func mustPeriod(s string) reports.Period {
	p, err := ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

// buildDB generates an archive, ingests it and records a detection run for
// each period.
func buildDB(ctx context.Context, dir string, cfg synth.Config, periods []reports.Period) (string, error) {
	archive := filepath.Join(dir, "archive")
	if _, err := synth.Generate(ctx, cfg, synth.DirWriter(archive)); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "test.duckdb")
	db, err := duck.Open(ctx, path, duck.Options{})
	if err != nil {
		return "", err
	}
	defer db.Close()
	store, err := objstore.NewLocal(archive)
	if err != nil {
		return "", err
	}
	if _, err := ingest.Run(ctx, db, ingest.Config{Store: store, Sources: ingest.All(), Version: "test"}); err != nil {
		return "", err
	}
	cat, err := queries.Load()
	if err != nil {
		return "", err
	}
	for i, p := range periods {
		now := time.Date(2026, 11, 2, 8, 0, i, 0, time.UTC)
		res, err := queries.Evaluate(ctx, db.DB, queries.RunConfig{WindowStart: p.Start, WindowEnd: p.End, Catalog: cat,
			Version: "test", Now: func() time.Time { return now }})
		if err != nil {
			return "", err
		}
		if err := queries.Record(ctx, db.DB, res); err != nil {
			return "", err
		}
	}
	return path, nil
}

var (
	roMu sync.Mutex
	ro   = map[string]*duck.DB{}
)

// openRO opens path read-only once per test binary: DuckDB refuses a
// second handle on a file in the same process with other settings, and
// sharing one is what the CLI does too.
func openRO(t testing.TB, path string) *duck.DB {
	t.Helper()
	roMu.Lock()
	defer roMu.Unlock()
	if db := ro[path]; db != nil {
		return db
	}
	db, err := duck.Open(context.Background(), path, duck.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ro[path] = db
	return db
}
