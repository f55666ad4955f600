package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/queries"
)

var frameworkAliases = map[string]string{"soc2": "soc2", "iso27001": "iso27001", "iso": "iso27001", "cis": "cis_aws_v3", "cis_aws_v3": "cis_aws_v3"}

func newControlsCmd(g *globals) *cobra.Command {
	var framework string
	var dirs []string
	cmd := &cobra.Command{
		Use:   "controls",
		Short: "List the controls of a framework and the detections that cover them",
		Long: `Controls lists the controls of SOC 2 (soc2), ISO/IEC 27001:2022 Annex A
(iso27001) or CIS AWS Foundations Benchmark v3.0 (cis) with their
shared-responsibility area and the detections mapped to each; controls no
detection covers are listed too, marked "-". Titles and summaries are
auditlake's own wording.`,
		Example: `  auditlake controls --framework cis
  auditlake controls --framework soc2 --packs-dir ./my-packs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fw, ok := frameworkAliases[framework]
			if !ok {
				return usageErr("--framework %q: use soc2, iso27001 or cis", framework)
			}
			cat, err := queries.Load(dirs...)
			if err != nil {
				return err
			}
			covered := map[string][]string{}
			for _, d := range cat.Detections {
				for _, id := range d.Controls.Get(fw) {
					covered[id] = append(covered[id], d.ID)
				}
			}
			w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "CONTROL\tTITLE\tRESPONSIBILITY\tDETECTIONS")
			none := 0
			for _, c := range cat.Controls[fw] {
				dets := covered[c.ID]
				slices.Sort(dets)
				if len(dets) == 0 {
					none++
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.ID, c.Title, c.Responsibility, dash(strings.Join(dets, ", ")))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "\n%d controls, %d covered by at least one detection, %d by none\n", len(cat.Controls[fw]), len(cat.Controls[fw])-none, none)
			return nil
		},
	}
	cmd.Flags().StringVar(&framework, "framework", "cis", "soc2, iso27001 or cis")
	cmd.Flags().StringSliceVar(&dirs, "packs-dir", nil, "also load the packs in this directory (repeatable)")
	return cmd
}
