package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/internal/duck"
)

// FindingColumn is one column every detection returns.
type FindingColumn struct {
	Name string
	Type string // DuckDB type
	Doc  string
}

// FindingColumns are the columns every detection returns, in this order.
var FindingColumns = []FindingColumn{
	{"account_id", "VARCHAR", "AWS account the finding is about"},
	{"region", "VARCHAR", "AWS Region, or NULL when not applicable"},
	{"principal", "VARCHAR", "readable principal (user name, role name, `<root_account>`), or NULL"},
	{"resource", "VARCHAR", "the resource concerned (ARN or id), or NULL"},
	{"first_seen", "TIMESTAMPTZ", "earliest event (or the as-of time) behind the finding"},
	{"last_seen", "TIMESTAMPTZ", "latest event (or the as-of time) behind the finding"},
	{"count", "BIGINT", "events or records behind the finding"},
	{"event_ids", "VARCHAR[]", "every CloudTrail event id behind the finding (for other sources: the record identities)"},
	{"source_objects", "VARCHAR[]", "the distinct source_key values of the rows behind it"},
	{"details", "JSON", "detection-specific explanation"},
}

// ErrSourceMissing marks a detection that reads a table no ingest source
// creates (yet).
var ErrSourceMissing = errors.New("source table is not created by any ingest source")

// sourceTables are the tables the loader creates, by name.
func sourceTables() map[string]string {
	out := map[string]string{}
	for _, s := range ingest.All() {
		t := s.Table()
		out[t.Name] = t.Time
	}
	return out
}

// OpenScratch opens an empty in-memory database holding every source's
// tables, views and macros, created by the loader's own schema code. The
// caller closes it.
func OpenScratch(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	// The connector holds the in-memory database: every connection of the
	// pool sees the same one, for as long as db is open.
	if err := ingest.EnsureSchema(ctx, &duck.DB{DB: db}, ingest.All()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// CheckSchema prepares every detection of the catalog against an empty
// database with every source's tables and checks that it returns exactly
// FindingColumns, in order and with their types. Detections that read a
// table no ingest source creates fail with ErrSourceMissing.
func CheckSchema(ctx context.Context, c *Catalog) error {
	db, err := OpenScratch(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	tables := sourceTables()
	ws := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var errs []error
	for _, d := range c.Detections {
		if missing := missingSources(d, tables); len(missing) > 0 {
			errs = append(errs, fmt.Errorf("%s: %s: %w", d.File, strings.Join(missing, ", "), ErrSourceMissing))
			continue
		}
		args, _, err := d.bind(ws, ws.AddDate(0, 1, 0), nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.File, err))
			continue
		}
		if err := checkColumns(ctx, db, d, args); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.File, err))
		}
	}
	return errors.Join(errs...)
}

func missingSources(d *Detection, tables map[string]string) []string {
	var out []string
	for _, s := range d.Sources {
		if _, ok := tables[s]; !ok {
			out = append(out, s)
		}
	}
	return out
}

func checkColumns(ctx context.Context, db *sql.DB, d *Detection, args []any) error {
	rows, err := db.QueryContext(ctx, d.SQL, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	var got, want []string
	for _, ct := range cts {
		got = append(got, ct.Name()+" "+ct.DatabaseTypeName())
	}
	for _, fc := range FindingColumns {
		want = append(want, fc.Name+" "+fc.Type)
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("columns differ from the finding columns:\n  got:  %s\n  want: %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
	return rows.Err()
}
