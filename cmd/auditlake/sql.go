package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/internal/tabular"
)

func newSQLCmd(g *globals) *cobra.Command {
	var format, file string
	var maxRows, maxWidth int
	cmd := &cobra.Command{
		Use:   "sql [QUERY | -]",
		Short: "Run a read-only SQL query against the database",
		Long: `Run one SQL query (DuckDB dialect) and print the result.

The database is opened read-only and DuckDB's access to files and the network
is switched off and locked, so an ad-hoc query can never change the evidence
or read or write anything else. Use - or --file to read the query from stdin
or a file. Tables and views are described in docs/SCHEMA.md.`,
		Example: `  auditlake sql "SELECT event_name, count(*) FROM cloudtrail GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
  auditlake sql --format csv "SELECT * FROM cloudtrail_console_logins WHERE NOT mfa_used" > logins.csv
  auditlake sql --format jsonl - < investigation.sql`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(tabular.Formats, format) {
				return usageErr("--format %q: use one of %s", format, strings.Join(tabular.Formats, ", "))
			}
			query, err := readQuery(args, file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return runSQL(cmd.Context(), g, query, format, tabular.Options{MaxRows: maxRows, MaxWidth: maxWidth})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(tabular.Formats, ", "))
	cmd.Flags().StringVar(&file, "file", "", "read the query from this file")
	cmd.Flags().IntVar(&maxRows, "max-rows", 1000, "rows shown in table format (0: all)")
	cmd.Flags().IntVar(&maxWidth, "max-width", 60, "widest cell in table format")
	return cmd
}

func readQuery(args []string, file string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	switch {
	case file != "" && len(args) > 0:
		return "", usageErr("give the query as an argument or with --file, not both")
	case file != "":
		b, err = os.ReadFile(file)
	case len(args) == 1 && args[0] == "-":
		b, err = io.ReadAll(stdin)
	case len(args) == 1:
		b = []byte(args[0])
	default:
		return "", usageErr(`no query: auditlake sql "SELECT ..." (or - to read stdin)`)
	}
	if err != nil {
		return "", err
	}
	q := strings.TrimSpace(string(b))
	if q == "" {
		return "", usageErr("the query is empty")
	}
	return q, nil
}

func runSQL(ctx context.Context, g *globals, query, format string, opts tabular.Options) error {
	db, err := duck.Open(ctx, g.db, duck.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return sqlError(err)
	}
	defer rows.Close()
	if _, err := tabular.Write(g.stdout, rows, format, opts); err != nil {
		return sqlError(err)
	}
	return nil
}

// sqlError adds what a user needs next to DuckDB's message.
func sqlError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "read-only mode") || strings.Contains(msg, "read_only"):
		return fmt.Errorf("%w\n(auditlake sql is read-only: the database is evidence)", err)
	case strings.Contains(msg, "disabled by configuration") || strings.Contains(msg, "enable_external_access"):
		return fmt.Errorf("%w\n(auditlake sql cannot read or write files or the network; use --format csv and redirect the output instead)", err)
	case strings.Contains(msg, "Catalog Error"):
		return fmt.Errorf("%w\n(tables: cloudtrail, ingest_objects, ingest_runs; views: cloudtrail_principals, cloudtrail_console_logins, coverage; see docs/SCHEMA.md)", err)
	}
	return err
}
