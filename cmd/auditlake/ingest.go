package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/ingest/source"
	"github.com/auditlake/auditlake/internal/duck"
)

type ingestFlags struct {
	since, until string
	accounts     []string
	regions      []string
	endpoint     string
	region       string
	profile      string
	workers      int
	output       string
	groupAge     time.Duration // hidden: commit interval, short in crash tests
	cpuprofile   string
}

func newIngestCmd(g *globals) *cobra.Command {
	var f ingestFlags
	cmd := &cobra.Command{
		Use:   "ingest LOCATION",
		Short: "Load new and changed log objects from S3 or a local archive into the database",
		Long: `Ingest walks an AWS log archive and loads CloudTrail (and, as they are
added, the other supported log types) into the database.

LOCATION is s3://bucket/prefix/ (any S3-compatible endpoint: --endpoint-url or
AWS_ENDPOINT_URL_S3; credentials from the standard AWS chain) or a local
directory laid out like the bucket.

Ingest is incremental: objects already loaded with the same ETag and size are
not read again, and every object is recorded in the ingest_objects table.
Interrupting it (Ctrl-C, a crash) loses nothing: re-run the same command.

--since and --until select key date folders (YYYY-MM-DD, inclusive). CloudTrail
delivers a late event in the folder of the day it was delivered, so include a
day after the period you need.`,
		Example: `  auditlake ingest s3://org-log-archive/AWSLogs/
  auditlake ingest ./log-archive/ --since 2026-10-01 --until 2026-11-01
  auditlake ingest s3://logs/AWSLogs/ --accounts 111122223333 --regions eu-west-1,us-east-1
  AWS_ENDPOINT_URL_S3=http://127.0.0.1:9000 auditlake ingest s3://logs/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stop, err := startCPUProfile(f.cpuprofile)
			if err != nil {
				return err
			}
			defer stop()
			limitGoMemory()
			return runIngest(cmd.Context(), g, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.since, "since", "", "first key date to ingest (YYYY-MM-DD)")
	fl.StringVar(&f.until, "until", "", "last key date to ingest (YYYY-MM-DD, inclusive)")
	fl.StringSliceVar(&f.accounts, "accounts", nil, "only these account ids (comma-separated)")
	fl.StringSliceVar(&f.regions, "regions", nil, "only these regions (comma-separated)")
	fl.StringVar(&f.endpoint, "endpoint-url", "", "S3-compatible endpoint (default: AWS, or AWS_ENDPOINT_URL_S3)")
	fl.StringVar(&f.region, "region", "", "AWS region of the bucket (default: from the AWS configuration, else us-east-1)")
	fl.StringVar(&f.profile, "profile", "", "AWS profile from the shared configuration")
	fl.IntVar(&f.workers, "workers", 0, "objects fetched and decoded at once (default: 32 for S3, 4 a core locally)")
	fl.StringVar(&f.output, "output", "text", "summary format: text or json")
	// Hidden: e2e's crash test commits often, so that kills land between
	// commits as well as before the first.
	fl.DurationVar(&f.groupAge, "group-age", 0, "commit loaded objects at least this often (default 3s)")
	fl.MarkHidden("group-age")
	fl.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file (for go tool pprof)")
	fl.MarkHidden("cpuprofile")
	return cmd
}

func parseFilter(f ingestFlags) (source.Filter, error) {
	var out source.Filter
	var err error
	if f.since != "" {
		if out.Since, err = time.Parse(time.DateOnly, f.since); err != nil {
			return out, usageErr("--since %q: want a date like 2026-10-01", f.since)
		}
	}
	if f.until != "" {
		if out.Until, err = time.Parse(time.DateOnly, f.until); err != nil {
			return out, usageErr("--until %q: want a date like 2026-10-31", f.until)
		}
	}
	if !out.Since.IsZero() && !out.Until.IsZero() && out.Until.Before(out.Since) {
		return out, usageErr("--until %s is before --since %s", f.until, f.since)
	}
	set := func(vals []string) map[string]bool {
		if len(vals) == 0 {
			return nil
		}
		m := map[string]bool{}
		for _, v := range vals {
			if v = strings.TrimSpace(v); v != "" {
				m[v] = true
			}
		}
		return m
	}
	out.Accounts, out.Regions = set(f.accounts), set(f.regions)
	return out, nil
}

func runIngest(ctx context.Context, g *globals, location string, f ingestFlags) error {
	if f.output != "text" && f.output != "json" {
		return usageErr("--output %q: use text or json", f.output)
	}
	filter, err := parseFilter(f)
	if err != nil {
		return err
	}
	store, prefix, err := objstore.Open(ctx, location, objstore.S3Config{EndpointURL: f.endpoint, Region: f.region, Profile: f.profile})
	if err != nil {
		return err
	}
	// Half the cores for DuckDB's inserts, the rest for the decoders
	// (docs/BENCHMARKS.md: on 2 cores, DuckDB's second thread cost more CPU
	// in synchronisation than it saved and starved decoding).
	db, err := duck.Open(ctx, g.db, duck.Options{MemoryLimit: "384MB", Threads: max(1, runtime.GOMAXPROCS(0)/2)})
	if err != nil {
		return err
	}
	defer db.Close()

	progress := &ingest.Progress{}
	stopBar := startIngestBar(g, progress)
	sum, runErr := ingest.Run(ctx, db, ingest.Config{
		Store:    store,
		Prefix:   prefix,
		Filter:   filter,
		Workers:  f.workers,
		GroupAge: f.groupAge,
		Progress: progress,
		Log:      g.log,
		Version:  version,
	})
	stopBar()
	// Decoding is over: the checkpoint DuckDB makes on close (compressing
	// what the last groups left uncompressed, seconds for a large run) may
	// use every core. Only a speed-up: a failure here changes nothing.
	_, _ = db.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("SET threads = %d", runtime.GOMAXPROCS(0)))
	if !g.quiet {
		if f.output == "json" {
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			enc.Encode(sum)
		} else {
			printIngestSummary(g.stdout, sum, g.db)
		}
	}
	if runErr != nil {
		return runErr
	}
	if sum.Failed > 0 {
		return withCode(exitPartial, fmt.Errorf("%d of %d objects failed (recorded in ingest_objects with the error; re-run to retry)", sum.Failed, sum.Listed-sum.Unchanged))
	}
	return nil
}

func printIngestSummary(w io.Writer, s *ingest.Summary, dbPath string) {
	el := s.Finished.Sub(s.Started).Round(time.Millisecond)
	state := "Ingested"
	if s.Interrupted {
		state = "Interrupted ingest of"
	}
	fmt.Fprintf(w, "%s %s in %s (run %s, database %s)\n", state, s.Location, el, s.RunID, dbPath)
	fmt.Fprintf(w, "  objects   %s found: %s loaded, %s skipped, %s failed, %s unchanged since an earlier run\n",
		num(s.Listed), num(s.Loaded), num(s.Skipped), num(s.Failed), num(s.Unchanged))
	rate := ""
	if secs := el.Seconds(); secs > 0 && s.Rows > 0 {
		rate = fmt.Sprintf(" (%s rows/s)", num(int64(float64(s.Rows)/secs)))
	}
	fmt.Fprintf(w, "  rows      %s decoded%s, %s duplicate deliveries removed, %s unusable records skipped\n",
		num(s.Rows), rate, num(s.Duplicates), num(s.SkippedRecords))
	fmt.Fprintf(w, "  read      %s\n", bytesHuman(s.BytesRead))
	kinds := make([]string, 0, len(s.ByKind))
	for k := range s.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for i, k := range kinds {
		c := s.ByKind[k]
		label := "  by type   "
		if i > 0 {
			label = "            "
		}
		parts := []string{fmt.Sprintf("%s objects", num(c.Objects))}
		if c.Loaded > 0 {
			parts = append(parts, fmt.Sprintf("%s rows", num(c.Rows)))
		}
		if c.Skipped > 0 {
			parts = append(parts, fmt.Sprintf("%s skipped", num(c.Skipped)))
		}
		if c.Failed > 0 {
			parts = append(parts, fmt.Sprintf("%s failed", num(c.Failed)))
		}
		fmt.Fprintf(w, "%s%-20s %s\n", label, k, strings.Join(parts, ", "))
	}
	if len(s.SkipReasons) > 0 {
		reasons := make([]string, 0, len(s.SkipReasons))
		for r := range s.SkipReasons {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for i, r := range reasons {
			label := "  skipped   "
			if i > 0 {
				label = "            "
			}
			fmt.Fprintf(w, "%s%s × %s\n", label, num(int64(s.SkipReasons[r])), r)
		}
	}
	if s.Failed > 0 {
		fmt.Fprintf(w, "  failed    %s objects (query: SELECT key, error FROM ingest_objects WHERE status = 'failed'):\n", num(s.Failed))
		for _, f := range s.Failures {
			fmt.Fprintf(w, "            %s\n              %s\n", f.Key, f.Err)
		}
		if int64(len(s.Failures)) < s.Failed {
			fmt.Fprintf(w, "            ... and %s more\n", num(s.Failed-int64(len(s.Failures))))
		}
	}
}

// num formats an integer with thousands separators.
func num(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func bytesHuman(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// isTerminal reports whether w is a terminal (progress bars only go there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return termIsTerminal(int(f.Fd()))
}
