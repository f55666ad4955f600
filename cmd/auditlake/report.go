package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/evidence"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/queries"
	"github.com/auditlake/auditlake/reports"
)

type reportFlags struct {
	period, from, to string
	frameworks       []string
	accounts         []string
	org, out         string
	zip              bool
	signKey          string
	runID            string
	noDetect         bool
	packsDirs        []string
}

func newReportCmd(g *globals) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report --period 2026-10 --out DIR",
		Short: "Build a verifiable evidence pack (PDF report, CSV files, signed manifest) for a period",
		Long: `Report runs every detection over the period (recording the run, as 'auditlake
detect' does) and builds an evidence pack from it: a folder named
<period>_<frameworks>_<generation time> in --out holding

  report.pdf     cover, scope and coverage (and what the evidence does not
                 cover), executive summary with charts, the shared
                 responsibility matrix, every control of the framework(s)
                 with its detections and findings, and appendices: the exact
                 SQL that ran, the ingest manifest, the hash of every file
  csv/           findings.csv, controls.csv, coverage.csv, detections.csv,
                 failed_objects.csv and one CSV per control
  manifest.json  size and SHA-256 of every file, the period, run ids, a
                 digest of the ingest manifest, the tool version
  manifest.sig   Ed25519 signature of manifest.json (with --sign-key)

Period: --period 2026-10 (a month) or 2026-Q3 (a quarter), or --from/--to
(days, both included). Times are UTC.

--no-detect (or --run ID) builds the pack from a run already recorded for the
period instead of running the detections again: two packs built that way from
the same database are identical apart from the generation time.

Signing keys are Ed25519: PEM (openssl genpkey -algorithm ed25519 -out key.pem;
openssl pkey -in key.pem -pubout -out pub.pem) or raw 32-byte seeds (bytes,
hex or base64). Check a pack with 'auditlake verify DIR --pubkey pub.pem'.

Exit codes: 0 pack written, 3 pack written but some detection failed (see
the report's coverage section), 1 error, 2 bad flags.`,
		Example: `  auditlake report --period 2026-10 --out evidence/
  auditlake report --period 2026-Q3 --framework soc2 --framework iso27001 --org-name "Example Corp" --out evidence/ --zip
  auditlake report --from 2026-10-01 --to 2026-10-15 --framework cis --accounts 123456789012 --sign-key key.pem --out evidence/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.period, "period", "", "month (2026-10) or quarter (2026-Q3) to report on")
	fl.StringVar(&f.from, "from", "", "first day of the period, e.g. 2026-10-01 (with --to)")
	fl.StringVar(&f.to, "to", "", "last day of the period, included, e.g. 2026-10-15 (with --from)")
	fl.StringSliceVar(&f.frameworks, "framework", []string{"soc2"}, "framework(s): soc2, iso27001, cis (repeatable or comma-separated)")
	fl.StringSliceVar(&f.accounts, "accounts", nil, "only these 12-digit account ids (comma-separated); default every account")
	fl.StringVar(&f.org, "org-name", "", "organisation name for the cover page")
	fl.StringVar(&f.out, "out", "evidence", "directory to create the pack folder in")
	fl.BoolVar(&f.zip, "zip", false, "also write the pack as <folder>.zip")
	fl.StringVar(&f.signKey, "sign-key", "", "Ed25519 private key file (PEM or raw) to sign manifest.json with")
	fl.StringVar(&f.runID, "run", "", "build from this recorded detection run instead of running the detections")
	fl.BoolVar(&f.noDetect, "no-detect", false, "build from the latest run recorded for the period instead of running the detections")
	fl.StringSliceVar(&f.packsDirs, "packs-dir", nil, "also load the packs in this directory (repeatable)")
	return cmd
}

func reportPeriod(f reportFlags) (reports.Period, error) {
	switch {
	case f.period != "" && (f.from != "" || f.to != ""):
		return reports.Period{}, usageErr("give --period or --from/--to, not both")
	case f.period != "":
		p, err := evidence.ParsePeriod(f.period)
		if err != nil {
			return p, usageErr("--%v", err)
		}
		return p, nil
	case f.from != "" && f.to != "":
		p, err := evidence.PeriodRange(f.from, f.to)
		if err != nil {
			return p, usageErr("%v", err)
		}
		return p, nil
	}
	return reports.Period{}, usageErr("give --period 2026-10 (or 2026-Q3), or --from and --to")
}

func runReport(ctx context.Context, g *globals, f reportFlags) error {
	period, err := reportPeriod(f)
	if err != nil {
		return err
	}
	cfg := evidence.Config{
		Period: period, Frameworks: f.frameworks, Accounts: f.accounts, Org: f.org,
		OutDir: f.out, Zip: f.zip, RunID: f.runID, ToolVersion: version,
	}
	if err := cfg.Validate(); err != nil {
		return withCode(exitUsage, err)
	}
	if f.signKey != "" {
		var key ed25519.PrivateKey
		if key, err = evidence.LoadPrivateKey(f.signKey); err != nil {
			return err
		}
		cfg.SignKey = key
	}

	began := time.Now()
	partial := false
	if f.runID == "" && !f.noDetect {
		res, err := detectForReport(ctx, g, period, f.packsDirs)
		if err != nil {
			return err
		}
		cfg.RunID = res.RunID
		partial = res.Status == "partial"
		g.say("Detection run %s: %d detections, %d findings (%s).\n", res.RunID, len(res.Results), len(res.Findings), time.Since(began).Round(time.Millisecond))
	}

	db, err := duck.Open(ctx, g.db, duck.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	// One connection: a read-only handle locks its configuration, so a
	// second connection can fail to initialise; Build's queries run one
	// after the other and need no more.
	db.SetMaxOpenConns(1)
	t0 := time.Now()
	pack, err := evidence.Build(ctx, db, cfg)
	if errors.Is(err, evidence.ErrNoRun) {
		return fmt.Errorf("%w: run 'auditlake report' without --no-detect, or 'auditlake detect' for the period first", err)
	}
	if err != nil {
		return err
	}
	g.say("Evidence pack: %s\n  %d files, %d findings, report.pdf %s; built in %s (database %s, CSV %s, PDF %s).\n",
		pack.Dir, len(pack.Manifest.Files)+1, len(pack.Model.Findings), sizeOf(pack.Manifest.Files, "report.pdf"),
		time.Since(t0).Round(time.Millisecond), pack.Timings["load"].Round(time.Millisecond),
		pack.Timings["csv"].Round(time.Millisecond), pack.Timings["pdf"].Round(time.Millisecond))
	if pack.Zip != "" {
		g.say("  zip: %s\n", pack.Zip)
	}
	if cfg.SignKey != nil {
		g.say("  signed: manifest.sig\n")
	}
	if partial {
		return withCode(exitPartial, errors.New("some detections failed; the pack says which (scope and coverage)"))
	}
	return nil
}

// detectForReport runs every detection over the period on a read-only
// handle and records the run on a read-write one, as 'detect' does.
func detectForReport(ctx context.Context, g *globals, p reports.Period, packsDirs []string) (*queries.RunResult, error) {
	cat, err := queries.Load(packsDirs...)
	if err != nil {
		return nil, err
	}
	ro, err := duck.Open(ctx, g.db, duck.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	cfg := queries.RunConfig{WindowStart: p.Start, WindowEnd: p.End, Catalog: cat, Version: version}
	stop := startDetectProgress(g, &cfg)
	res, err := queries.Evaluate(ctx, ro.DB, cfg)
	stop()
	ro.Close()
	if err != nil {
		return nil, err
	}
	rw, err := duck.Open(ctx, g.db, duck.Options{})
	if err != nil {
		return nil, fmt.Errorf("record the run: %w", err)
	}
	defer rw.Close()
	if err := queries.Record(ctx, rw.DB, res); err != nil {
		return nil, err
	}
	return res, nil
}

func sizeOf(files []reports.File, path string) string {
	for _, f := range files {
		if f.Path == path {
			return fmt.Sprintf("%.1f MB", float64(f.Size)/1e6)
		}
	}
	return "?"
}
