package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/queries"
)

// exitFindings is detect's exit code when --fail-on is given and a finding
// of that severity or higher was found.
const exitFindings = 4

var detectFormats = []string{"table", "csv", "jsonl", "ocsf"}

type detectFlags struct {
	packs, detections, params, packsDirs []string
	period, since, until                 string
	format, failOn                       string
	timeout                              time.Duration
	dryRun                               bool
}

func newDetectCmd(g *globals) *cobra.Command {
	var f detectFlags
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Run the detections over a period and record their findings",
		Long: `Detect runs the SQL detections of the query packs (see 'auditlake packs')
over a window of time and prints their findings.

The detections run on a read-only handle (DuckDB refuses every write and every
file or network access, whatever a pack's SQL says). The run is then recorded
in the database in one transaction (tables detection_runs, detection_results,
findings and control_catalog), unless --dry-run is given; evidence packs and
reports are built from those tables.

Window: --period 2026-10 (a calendar month, UTC), or --since/--until (days,
both included). Without either, the window covers every day with loaded data.

Parameters: --param ID.NAME=VALUE sets a parameter of one detection,
--param NAME=VALUE sets it for every selected detection that declares it.

Exit codes: 0 when every detection ran (findings or not), 3 when some
detection failed (the others are still recorded), 4 with --fail-on SEVERITY
when a finding of that severity or higher was found, 1 on errors, 2 on bad
flags.`,
		Example: `  auditlake detect --period 2026-10
  auditlake detect --pack cloudtrail --since 2026-10-01 --until 2026-10-15 --format jsonl
  auditlake detect --detection ct_console_login_failures --param min_failures=5
  auditlake detect --period 2026-10 --format ocsf > findings.ocsf.jsonl
  auditlake detect --packs-dir ./my-packs --fail-on high`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDetect(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.packs, "pack", nil, "run the detections of this pack (repeatable)")
	fl.StringSliceVar(&f.detections, "detection", nil, "run this detection (repeatable)")
	fl.StringVar(&f.period, "period", "", "calendar month to analyse, e.g. 2026-10")
	fl.StringVar(&f.since, "since", "", "first day to analyse, e.g. 2026-10-01")
	fl.StringVar(&f.until, "until", "", "last day to analyse (included), e.g. 2026-10-31")
	fl.StringArrayVar(&f.params, "param", nil, "parameter override: ID.NAME=VALUE or NAME=VALUE (repeatable)")
	fl.StringSliceVar(&f.packsDirs, "packs-dir", nil, "also load the packs in this directory (repeatable)")
	fl.StringVarP(&f.format, "format", "f", "table", "output format: "+strings.Join(detectFormats, ", "))
	fl.StringVar(&f.failOn, "fail-on", "", "exit 4 when a finding of this severity or higher is found: "+strings.Join(queries.Severities, ", "))
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "time limit for each detection")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the findings without recording the run")
	return cmd
}

// parseParams turns --param flags into RunConfig.Params.
func parseParams(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range flags {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageErr("--param %q: want ID.NAME=VALUE or NAME=VALUE", p)
		}
		out[k] = v
	}
	return out, nil
}

// detectWindow resolves the window flags; without any, data returns the
// days with loaded data.
func detectWindow(f detectFlags, data func() (time.Time, time.Time, bool, error)) (start, end time.Time, how string, err error) {
	switch {
	case f.period != "" && (f.since != "" || f.until != ""):
		return start, end, "", usageErr("give --period or --since/--until, not both")
	case f.period != "":
		m, err := time.Parse("2006-01", f.period)
		if err != nil {
			return start, end, "", usageErr("--period %q: want a month like 2026-10", f.period)
		}
		return m, m.AddDate(0, 1, 0), "period " + f.period, nil
	}
	first, last, ok, err := data()
	if err != nil {
		return start, end, "", err
	}
	how = "every day with loaded data"
	if f.since != "" {
		if first, err = time.Parse(time.DateOnly, f.since); err != nil {
			return start, end, "", usageErr("--since %q: want a date like 2026-10-01", f.since)
		}
		how = "--since/--until"
	}
	if f.until != "" {
		if last, err = time.Parse(time.DateOnly, f.until); err != nil {
			return start, end, "", usageErr("--until %q: want a date like 2026-10-31", f.until)
		}
		how = "--since/--until"
	}
	if !ok && (f.since == "" || f.until == "") {
		return start, end, "", errors.New("the database holds no loaded data to choose a window from: run 'auditlake ingest' first, or give --period or --since and --until")
	}
	if last.Before(first) {
		return start, end, "", usageErr("--until is before --since")
	}
	return first.UTC(), last.UTC().AddDate(0, 0, 1), how, nil
}

func runDetect(ctx context.Context, g *globals, f detectFlags) error {
	if !slices.Contains(detectFormats, f.format) {
		return usageErr("--format %q: use one of %s", f.format, strings.Join(detectFormats, ", "))
	}
	if f.failOn != "" && !slices.Contains(queries.Severities, f.failOn) {
		return usageErr("--fail-on %q: use one of %s", f.failOn, strings.Join(queries.Severities, ", "))
	}
	params, err := parseParams(f.params)
	if err != nil {
		return err
	}
	cat, err := queries.Load(f.packsDirs...)
	if err != nil {
		return err
	}

	ro, err := duck.Open(ctx, g.db, duck.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	ws, we, how, err := detectWindow(f, func() (time.Time, time.Time, bool, error) {
		first, last, ok, err := ingest.DataRange(ctx, ro)
		if err != nil && strings.Contains(err.Error(), "ingest_objects") {
			return first, last, false, nil
		}
		return first, last, ok, err
	})
	if err != nil {
		ro.Close()
		return err
	}
	if !g.quiet {
		fmt.Fprintf(g.stderr, "window: %s to %s (%s)\n", ws.Format(time.RFC3339), we.Format(time.RFC3339), how)
	}
	cfg := queries.RunConfig{
		WindowStart: ws, WindowEnd: we, Packs: f.packs, Detections: f.detections,
		Params: params, Catalog: cat, Version: version, Timeout: f.timeout,
	}
	stop := startDetectProgress(g, &cfg)
	res, err := queries.Evaluate(ctx, ro.DB, cfg)
	stop()
	ro.Close()
	if err != nil {
		var ce *queries.ConfigError
		if errors.As(err, &ce) {
			return withCode(exitUsage, err)
		}
		return err
	}

	if !f.dryRun {
		rw, err := duck.Open(ctx, g.db, duck.Options{})
		if err != nil {
			return fmt.Errorf("record the run: %w", err)
		}
		err = queries.Record(ctx, rw.DB, res)
		rw.Close()
		if err != nil {
			return err
		}
	}

	if err := writeFindings(g.stdout, res, f.format); err != nil {
		return err
	}
	if !g.quiet && f.format != "table" {
		printRunSummary(g.stderr, res, f.dryRun)
	}

	if res.Status == "partial" {
		return withCode(exitPartial, errors.New("some detections failed (status error above); the others were recorded"))
	}
	if f.failOn != "" {
		limit := queries.SeverityRank(f.failOn)
		for _, fd := range res.Findings {
			if queries.SeverityRank(fd.Severity) <= limit {
				return withCode(exitFindings, fmt.Errorf("findings of severity %s or higher (--fail-on %s)", f.failOn, f.failOn))
			}
		}
	}
	return nil
}

// startDetectProgress shows "detections n/total" on a terminal.
func startDetectProgress(g *globals, cfg *queries.RunConfig) (stop func()) {
	if g.quiet || !isTerminal(g.stderr) {
		return func() {}
	}
	var mu sync.Mutex
	start := time.Now()
	cfg.Progress = func(done, total int, r *queries.DetectionResult) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(g.stderr, "\r\033[Kdetections %d/%d · %s %s (%s)", done, total, r.Detection.ID, r.Status, time.Since(start).Round(100*time.Millisecond))
	}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(g.stderr, "\r\033[K")
	}
}

func printRunSummary(w io.Writer, res *queries.RunResult, dryRun bool) {
	counts := map[string]int{}
	for _, r := range res.Results {
		counts[r.Status]++
	}
	rec := "recorded as run " + res.RunID
	if dryRun {
		rec = "not recorded (--dry-run)"
	}
	fmt.Fprintf(w, "%d detections: %d fail, %d pass, %d no_data, %d error; %d findings; %s\n",
		len(res.Results), counts[queries.StatusFail], counts[queries.StatusPass], counts[queries.StatusNoData], counts[queries.StatusError], len(res.Findings), rec)
}

func writeFindings(w io.Writer, res *queries.RunResult, format string) error {
	switch format {
	case "jsonl":
		enc := json.NewEncoder(w)
		for _, f := range res.Findings {
			if err := enc.Encode(res.Record(f)); err != nil {
				return err
			}
		}
	case "ocsf":
		enc := json.NewEncoder(w)
		for _, f := range res.Findings {
			if err := enc.Encode(res.OCSF(f)); err != nil {
				return err
			}
		}
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"run_id", "finding_id", "detection", "title", "severity", "account_id", "region", "principal", "resource",
			"first_seen", "last_seen", "count", "event_ids", "source_objects", "soc2", "iso27001", "cis_aws_v3", "details"})
		for _, f := range res.Findings {
			r := res.Record(f)
			cw.Write([]string{r.RunID, r.FindingID, r.Detection, r.Title, r.Severity, deref(r.AccountID), deref(r.Region), deref(r.Principal), deref(r.Resource),
				deref(r.FirstSeen), deref(r.LastSeen), strconv.FormatInt(r.Count, 10), strings.Join(r.EventIDs, " "), strings.Join(r.SourceObjects, " "),
				strings.Join(r.Controls.SOC2, " "), strings.Join(r.Controls.ISO27001, " "), strings.Join(r.Controls.CISAWSv3, " "), string(r.Details)})
		}
		cw.Flush()
		return cw.Error()
	default:
		writeDetectTable(w, res)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func writeDetectTable(w io.Writer, res *queries.RunResult) {
	fmt.Fprintf(w, "run %s · window %s to %s · status %s\n\n", res.RunID, res.WindowStart.Format(time.RFC3339), res.WindowEnd.Format(time.RFC3339), res.Status)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DETECTION\tSEVERITY\tSTATUS\tFINDINGS\tTIME\tNOTE")
	for _, r := range res.Results {
		note := r.Error
		if i := strings.IndexByte(note, '\n'); i >= 0 {
			note = note[:i]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Detection.ID, r.Detection.Severity, r.Status, len(r.Findings), r.Duration.Round(time.Millisecond), note)
	}
	tw.Flush()
	if len(res.Findings) == 0 {
		fmt.Fprintln(w, "\nno findings")
		return
	}
	fmt.Fprintf(w, "\n%d findings\n", len(res.Findings))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tDETECTION\tACCOUNT\tREGION\tPRINCIPAL\tRESOURCE\tFIRST SEEN\tLAST SEEN\tCOUNT")
	for _, f := range res.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", f.Severity, f.DetectionID, dash(f.AccountID), dash(f.Region), dash(cut(f.Principal, 40)), dash(cut(f.Resource, 60)),
			f.FirstSeen.Format(time.RFC3339), f.LastSeen.Format(time.RFC3339), f.Count)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
