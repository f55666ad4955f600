package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/internal/synth"
)

// sourceNames are the --sources values, as the ingest source names them.
var sourceNames = []string{"cloudtrail", "config", "credential_report", "vpc_flow"}

func newGenerateCmd(g *globals) *cobra.Command {
	demo := synth.Demo()
	var (
		out     string
		start   string
		sources []string
		cfg     = demo
	)
	cmd := &cobra.Command{
		Use:   "generate --out DIR",
		Short: "Write a synthetic AWS log archive to a local directory",
		Long: `Write the log archive of a synthetic AWS organisation, Example Corp, laid out
exactly as AWS writes it to S3: CloudTrail (with digest and Insights files),
AWS Config history and snapshots, IAM credential reports and VPC Flow Logs.

The defaults are the demo organisation: four accounts, three regions,
September and October 2026, with incidents planted in October. The same flags
always give the same bytes. Point 'auditlake ingest' at the directory, or copy
it to a bucket.`,
		Example: `  auditlake generate --out ./archive
  auditlake generate --out ./big --days 7 --events-per-day 2000000 --sources cloudtrail --incidents=false
  auditlake generate --out ./tiny --events-per-file 1 --days 1 --junk`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("--out is required")
			}
			day, err := time.Parse(time.DateOnly, start)
			if err != nil {
				return usageErr("--start %q: use YYYY-MM-DD", start)
			}
			cfg.Start = day
			cfg.CloudTrail, cfg.Config, cfg.CredentialReports, cfg.FlowLogs = false, false, false, false
			for _, s := range sources {
				switch s {
				case "cloudtrail":
					cfg.CloudTrail = true
				case "config":
					cfg.Config = true
				case "credential_report":
					cfg.CredentialReports = true
				case "vpc_flow":
					cfg.FlowLogs = true
				default:
					return usageErr("--sources: unknown source %q (use %s)", s, strings.Join(sourceNames, ", "))
				}
			}
			if err := cfg.Validate(); err != nil {
				return usageErr("%v", err)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			began := time.Now()
			m, err := synth.Generate(cmd.Context(), cfg, synth.DirWriter(out))
			if err != nil {
				return err
			}
			if !g.quiet {
				printGenerateSummary(g, out, m, time.Since(began))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "directory to write the archive to (created if missing)")
	f.Int64Var(&cfg.Seed, "seed", demo.Seed, "random seed; the same seed and flags give the same bytes")
	f.StringVar(&start, "start", demo.Start.Format(time.DateOnly), "first day (UTC)")
	f.IntVar(&cfg.Days, "days", demo.Days, "number of days")
	f.IntVar(&cfg.Accounts, "accounts", demo.Accounts, "accounts: management, security, prod, dev, then workloads")
	f.StringSliceVar(&cfg.Regions, "regions", demo.Regions, "regions with activity")
	f.IntVar(&cfg.EventsPerDay, "events-per-day", demo.EventsPerDay, "approximate CloudTrail events a day across the organisation")
	f.IntVar(&cfg.EventsPerFile, "events-per-file", 0, "CloudTrail events per object (0: as AWS delivers, one or a few objects per 5 minutes)")
	f.IntVar(&cfg.FlowRecordsPerDay, "flow-records-per-day", demo.FlowRecordsPerDay, "approximate VPC flow log records a day")
	f.StringSliceVar(&sources, "sources", sourceNames, "sources to write: "+strings.Join(sourceNames, ", "))
	f.BoolVar(&cfg.Incidents, "incidents", true, "plant the demo incidents (use --incidents=false for routine traffic only)")
	f.BoolVar(&cfg.Junk, "junk", false, "also write broken objects, for testing ingest errors")
	f.StringVar(&cfg.OrgID, "org-id", demo.OrgID, `organisation id for organisation-trail keys ("" for account trails)`)
	f.StringVar(&cfg.Prefix, "prefix", "", "key prefix before AWSLogs/ (ending in /)")
	return cmd
}

func printGenerateSummary(g *globals, out string, m *synth.Manifest, elapsed time.Duration) {
	w := g.stdout
	fmt.Fprintf(w, "wrote %s\n", out)
	kinds := slices.Sorted(maps.Keys(m.Objects))
	total := 0
	for _, k := range kinds {
		fmt.Fprintf(w, "  %-20s %10d objects\n", k, m.Objects[k])
		total += m.Objects[k]
	}
	fmt.Fprintf(w, "  %-20s %10d objects, %.1f MB\n", "total", total, float64(m.Bytes)/1e6)
	secs := elapsed.Seconds()
	fmt.Fprintf(w, "CloudTrail events    %10d (%d delivered twice, %d in the next day's folder)\n", m.Events, m.DuplicateDeliveries, m.LateDeliveries)
	if m.ConfigItems+m.CredentialReportRows+m.FlowRecords > 0 {
		fmt.Fprintf(w, "Config items %d, credential report rows %d, flow records %d\n", m.ConfigItems, m.CredentialReportRows, m.FlowRecords)
	}
	if len(m.Incidents) > 0 {
		fmt.Fprintf(w, "incidents            %10d (%d benign look-alikes)\n", len(m.Incidents), len(m.Benign))
	}
	if len(m.Junk) > 0 {
		fmt.Fprintf(w, "junk objects         %10d\n", len(m.Junk))
	}
	fmt.Fprintf(w, "elapsed %s, %.0f events/s, %.1f MB/s written\n", elapsed.Round(time.Millisecond), float64(m.Events)/secs, float64(m.Bytes)/1e6/secs)
}
