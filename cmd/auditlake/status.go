package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/internal/duck"
)

func newStatusCmd(g *globals) *cobra.Command {
	var since, until string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what the database covers: sources, accounts, regions, days, gaps and failures",
		Long: `Status answers an auditor's first question: what does the evidence cover, and
what does it not? For each source, account and region it shows the days with
data as a strip (one character a day: █ data, · no data, ✗ failed objects),
the objects and rows, and lists the gaps.

Credential reports are collected periodically, so days without one are not
gaps; the strip shows the days a report exists.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStatus(cmd.Context(), g, since, until)
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "first day (default: 30 days before --until, or the first day with data)")
	cmd.Flags().StringVar(&until, "until", "", "last day (default: the last day with data)")
	return cmd
}

func runStatus(ctx context.Context, g *globals, since, until string) error {
	db, err := duck.Open(ctx, g.db, duck.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	first, last, ok, err := ingest.DataRange(ctx, db)
	if err != nil {
		if strings.Contains(err.Error(), "ingest_objects") {
			return fmt.Errorf("%s holds no ingested data: run 'auditlake ingest' first", g.db)
		}
		return err
	}
	if !ok {
		fmt.Fprintf(g.stdout, "%s holds no loaded objects yet: run 'auditlake ingest LOCATION'.\n", g.db)
		return nil
	}
	if until != "" {
		if last, err = time.Parse(time.DateOnly, until); err != nil {
			return usageErr("--until %q: want a date like 2026-10-31", until)
		}
	}
	if since != "" {
		if first, err = time.Parse(time.DateOnly, since); err != nil {
			return usageErr("--since %q: want a date like 2026-10-01", since)
		}
	} else if last.Sub(first) > 30*24*time.Hour {
		first = last.AddDate(0, 0, -30)
	}
	if last.Before(first) {
		return usageErr("--until is before --since")
	}
	streams, err := ingest.Coverage(ctx, db, first, last)
	if err != nil {
		return err
	}
	printLastRun(ctx, g.stdout, db)
	printCoverage(g.stdout, streams, first, last)
	printFlowLogStatus(ctx, g.stdout, db, first, last)
	return nil
}

// printFlowLogStatus adds the flow logs' own coverage figures: NODATA
// records (no traffic in an interval: normal) and SKIPDATA records (AWS
// skipped records: the traffic of the interval is incomplete).
func printFlowLogStatus(ctx context.Context, w io.Writer, db *duck.DB, first, last time.Time) {
	var records, nodata, skipdata int64
	var skipDays sql.NullString
	err := db.QueryRowContext(ctx, `SELECT coalesce(sum(records), 0), coalesce(sum(nodata_records), 0), coalesce(sum(skipdata_records), 0),
  string_agg(DISTINCT CAST(day AS VARCHAR), ', ' ORDER BY CAST(day AS VARCHAR)) FILTER (WHERE skipdata_records > 0)
FROM vpc_flow_log_status WHERE day BETWEEN ?::DATE AND ?::DATE`,
		first.Format(time.DateOnly), last.Format(time.DateOnly)).Scan(&records, &nodata, &skipdata, &skipDays)
	if err != nil || records == 0 {
		return
	}
	fmt.Fprintf(w, "\nVPC flow log records: %s, of which NODATA %s (intervals without traffic) and SKIPDATA %s", num(records), num(nodata), num(skipdata))
	if skipdata > 0 {
		fmt.Fprintf(w, " (AWS skipped records: traffic incomplete on %s; see vpc_flow_log_status)", skipDays.String)
	}
	fmt.Fprintln(w, ".")
}

func printLastRun(ctx context.Context, w io.Writer, db *duck.DB) {
	var id, status string
	var started time.Time
	err := db.QueryRowContext(ctx, "SELECT run_id, status, started_at FROM ingest_runs ORDER BY started_at DESC LIMIT 1").Scan(&id, &status, &started)
	if err == nil {
		fmt.Fprintf(w, "Last ingest: %s (%s, run %s)\n", started.UTC().Format("2006-01-02 15:04 UTC"), status, id)
	}
	var failed int64
	if db.QueryRowContext(ctx, "SELECT count(*) FROM ingest_objects WHERE status = 'failed'").Scan(&failed) == nil && failed > 0 {
		fmt.Fprintf(w, "Failed objects: %s (SELECT key, error FROM ingest_objects WHERE status = 'failed'; re-run ingest to retry)\n", num(failed))
	}
}

// printCoverage draws one line per stream with a day strip, then the gaps.
func printCoverage(w io.Writer, streams []*ingest.Stream, first, last time.Time) {
	days := int(last.Sub(first).Hours()/24) + 1
	fmt.Fprintf(w, "Coverage %s to %s (%d days):\n\n", first.Format(time.DateOnly), last.Format(time.DateOnly), days)
	ws := [3]int{len("source"), len("account"), len("region")}
	for _, s := range streams {
		ws[0], ws[1], ws[2] = max(ws[0], len(s.Source)), max(ws[1], len(s.Account)), max(ws[2], len(s.Region))
	}
	fmt.Fprintf(w, "%-*s  %-*s  %-*s  %9s  %12s  %s\n", ws[0], "source", ws[1], "account", ws[2], "region", "objects", "rows", "days")
	for _, s := range streams {
		var strip strings.Builder
		for _, d := range s.Days {
			switch d.State {
			case "ok":
				strip.WriteString("█")
			case "failed objects":
				strip.WriteString("✗")
			default:
				strip.WriteString("·")
			}
		}
		region := s.Region
		if region == "" {
			region = "-"
		}
		fmt.Fprintf(w, "%-*s  %-*s  %-*s  %9s  %12s  %s\n", ws[0], s.Source, ws[1], s.Account, ws[2], region, num(s.Objects), num(s.Rows), strip.String())
	}
	fmt.Fprintln(w)
	anyGap := false
	for _, s := range streams {
		gaps := s.Gaps()
		if len(gaps) == 0 {
			continue
		}
		var failed, empty []string
		for _, d := range gaps {
			if d.State == "failed objects" {
				failed = append(failed, d.Date.Format(time.DateOnly))
			} else if !ingest.Periodic(s.Source) {
				empty = append(empty, d.Date.Format(time.DateOnly))
			}
		}
		if len(failed)+len(empty) == 0 {
			continue
		}
		if !anyGap {
			fmt.Fprintln(w, "Gaps (the evidence does not cover these days):")
			anyGap = true
		}
		name := fmt.Sprintf("%s %s %s", s.Source, s.Account, s.Region)
		if len(empty) > 0 {
			fmt.Fprintf(w, "  %s: no data on %s\n", name, dayRanges(empty))
		}
		if len(failed) > 0 {
			fmt.Fprintf(w, "  %s: failed objects on %s\n", name, dayRanges(failed))
		}
	}
	if !anyGap {
		fmt.Fprintln(w, "No gaps: every stream has data on every day of the range.")
	}
}

// dayRanges compresses sorted dates: "2026-10-01..2026-10-03, 2026-10-07".
func dayRanges(days []string) string {
	var out []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && nextDay(days[j]) == days[j+1] {
			j++
		}
		if j == i {
			out = append(out, days[i])
		} else {
			out = append(out, days[i]+".."+days[j]+fmt.Sprintf(" (%d days)", j-i+1))
		}
		i = j + 1
	}
	return strings.Join(out, ", ")
}

func nextDay(d string) string {
	t, _ := time.Parse(time.DateOnly, d)
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}
