package ingest

import (
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/ingest/source"
)

// SchemaMarkdown documents every table and view the loader creates, from
// the same specs that create them (docs/SCHEMA.md is this text; a test
// keeps it current).
func SchemaMarkdown(sources []source.Source) string {
	var b strings.Builder
	b.WriteString("# Database schema\n\n")
	b.WriteString("Generated from the table specs in `ingest/` by `go test ./ingest -run TestSchemaDoc -update`; do not edit by hand.\n\n")
	b.WriteString("The database is a plain DuckDB file: open it with `auditlake sql`, the DuckDB CLI or any DuckDB client. ")
	b.WriteString("JSON columns are DuckDB `JSON`: reach any field with `->>` (`request_parameters->>'$.bucketName'`).\n\n")
	b.WriteString("Every log table ends with `source_bucket` and `source_key`: the object each row came from, so a finding can be traced to the raw file.\n\n")
	tables := []*source.Table{}
	for _, s := range sources {
		tables = append(tables, s.Table())
	}
	tables = append(tables, manifestTable)
	b.WriteString("| table | what it holds |\n|---|---|\n")
	for _, t := range tables {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s |\n", t.Name, t.Name, t.Doc)
	}
	b.WriteString("| [`ingest_runs`](#ingest_runs) | One row per ingest run: where, filters, counts, status. |\n")
	b.WriteString("| [`coverage`](#coverage) (view) | Objects and rows per source, account, region and day, with failures. |\n\n")
	for _, t := range tables {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", t.Name, t.Doc)
		if len(t.Key) > 0 {
			fmt.Fprintf(&b, "Each record once: rows with the same (%s) are one record delivered more than once; the copy from the lexically smallest `source_key` is kept.\n\n", strings.Join(t.Key, ", "))
		}
		b.WriteString("| column | type | description |\n|---|---|---|\n")
		for _, c := range t.AllColumns() {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Name, c.SQLType(), strings.ReplaceAll(c.Doc, "|", `\|`))
		}
		b.WriteString("\n")
		for _, v := range t.Views {
			fmt.Fprintf(&b, "### view %s\n\n%s\n\n```sql\n%s\n```\n\n", v.Name, v.Doc, v.SQL)
		}
		for _, d := range t.DDL {
			fmt.Fprintf(&b, "```sql\n%s\n```\n\n", strings.TrimSpace(d))
		}
	}
	b.WriteString("## ingest_runs\n\n```sql\n" + runsDDL + "\n```\n\n")
	b.WriteString("## coverage\n\n```sql\n" + strings.Join(coverageViews, "\n\n") + "\n```\n")
	return b.String()
}
