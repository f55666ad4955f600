package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/queries"
)

func newPacksCmd(g *globals) *cobra.Command {
	var dirs []string
	cmd := &cobra.Command{
		Use:   "packs",
		Short: "List the query packs and their detections",
		Long: `Packs lists the query packs (the embedded ones and those of --packs-dir) with
their detections: id, severity, the tables they read and the controls they
map to. 'auditlake packs test' runs the detections' test cases.

A pack is a directory with pack.yaml and one SQL file a detection; the format
is described in docs/DETECTIONS.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := queries.Load(dirs...)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			for i, p := range cat.Packs {
				if i > 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "%s %s — %s (%d detections, %s)\n", p.Name, p.Version, p.Title, len(p.Detections), p.Origin)
				fmt.Fprintln(w, "  DETECTION\tSEVERITY\tSOURCES\tSOC 2\tISO 27001\tCIS AWS v3")
				for _, d := range p.Detections {
					fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Severity, strings.Join(d.Sources, ","),
						dash(strings.Join(d.Controls.SOC2, ",")), dash(strings.Join(d.Controls.ISO27001, ",")), dash(strings.Join(d.Controls.CISAWSv3, ",")))
				}
			}
			return w.Flush()
		},
	}
	cmd.PersistentFlags().StringSliceVar(&dirs, "packs-dir", nil, "also load the packs in this directory (repeatable)")
	cmd.AddCommand(newPacksTestCmd(g, &dirs))
	return cmd
}

func newPacksTestCmd(g *globals, dirs *[]string) *cobra.Command {
	return &cobra.Command{
		Use:   "test",
		Short: "Run the test cases of the packs' detections",
		Long: `Test runs every case in <pack>/testdata/<detection_id>.yaml: it loads the
case's rows into an empty in-memory database, runs the detection with the
case's window and parameters and compares the findings with the case's want
list. With --packs-dir only the packs of those directories are tested.
Every detection needs at least one case with findings and one without.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPacksTest(cmd.Context(), g, *dirs)
		},
	}
}

func runPacksTest(ctx context.Context, g *globals, dirs []string) error {
	cat, err := queries.Load(dirs...)
	if err != nil {
		return err
	}
	var dets []*queries.Detection
	for _, d := range cat.Detections {
		if len(dirs) == 0 || d.Pack.Origin != "embedded" {
			dets = append(dets, d)
		}
	}
	passed := 0
	failed, err := queries.RunCases(ctx, cat, dets, func(r queries.CaseResult) {
		name := r.Pack + "/" + r.Detection
		if r.Case != "" {
			name += "/" + r.Case
		}
		switch {
		case r.Err != nil:
			fmt.Fprintf(g.stdout, "FAIL %s\n     %s\n", name, strings.ReplaceAll(r.Err.Error(), "\n", "\n     "))
		default:
			passed++
			if !g.quiet {
				fmt.Fprintf(g.stdout, "ok   %s\n", name)
			}
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "%d detections, %d cases passed, %d failed\n", len(dets), passed, failed)
	if failed > 0 {
		return withCode(exitError, fmt.Errorf("%d test cases failed", failed))
	}
	return nil
}
