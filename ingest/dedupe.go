package ingest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/auditlake/auditlake/ingest/source"
	"github.com/auditlake/auditlake/internal/duck"
)

// dedupe removes records delivered more than once (CloudTrail delivers some
// events twice, in different objects and even different day folders) from
// the time windows written since the last pass. Of each set of copies it
// keeps the one from the lexically smallest (source_key, source_bucket):
// the outcome does not depend on the order objects were loaded in, so an
// interrupted and resumed ingest gives the same tables as a clean one.
//
// Copies of one record share its time, so only the windows of newly
// committed rows are searched; DuckDB's min/max statistics skip the rest.
func dedupe(ctx context.Context, conn *duck.Conn, sources []source.Source) (int64, error) {
	type dirty struct {
		table   string
		lo, hi  *time.Time
		hasNull bool
	}
	rows, err := conn.QueryContext(ctx, "SELECT table_name, lo, hi, has_null FROM ingest_dirty")
	if err != nil {
		return 0, err
	}
	var all []dirty
	for rows.Next() {
		var d dirty
		if err := rows.Scan(&d.table, &d.lo, &d.hi, &d.hasNull); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(all) == 0 {
		return 0, err
	}
	tables := map[string]*source.Table{}
	for _, s := range sources {
		tables[s.Table().Name] = s.Table()
	}
	var removed int64
	err = conn.Tx(ctx, func() error {
		byTable := map[string][]dirty{}
		for _, d := range all {
			byTable[d.table] = append(byTable[d.table], d)
		}
		for name, ds := range byTable {
			t := tables[name]
			if t == nil || len(t.Key) == 0 {
				continue
			}
			var spans [][2]time.Time
			hasNull := false
			for _, d := range ds {
				hasNull = hasNull || d.hasNull
				if d.lo != nil && d.hi != nil {
					spans = append(spans, [2]time.Time{*d.lo, *d.hi})
				}
			}
			for _, s := range mergeSpans(spans) {
				n, err := dedupeWhere(ctx, conn, t, t.Time+" BETWEEN ? AND ?", s[0], s[1])
				if err != nil {
					return err
				}
				removed += n
			}
			if hasNull {
				n, err := dedupeWhere(ctx, conn, t, t.Time+" IS NULL")
				if err != nil {
					return err
				}
				removed += n
			}
		}
		_, err := conn.ExecContext(ctx, "DELETE FROM ingest_dirty")
		return err
	})
	return removed, err
}

// dedupeWhere deletes all but one copy of each key among the rows matching
// cond.
func dedupeWhere(ctx context.Context, conn *duck.Conn, t *source.Table, cond string, args ...any) (int64, error) {
	key := strings.Join(t.Key, ", ")
	// Cheap first: are there any duplicate keys at all?
	var dups int64
	q := fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s GROUP BY %s HAVING count(*) > 1)", t.Name, cond, key)
	if err := conn.QueryRowContext(ctx, q, args...).Scan(&dups); err != nil {
		return 0, fmt.Errorf("dedupe %s: %w", t.Name, err)
	}
	if dups == 0 {
		return 0, nil
	}
	q = fmt.Sprintf(`DELETE FROM %[1]s WHERE rowid IN (
  SELECT rowid FROM %[1]s
  WHERE %[2]s AND (%[3]s) IN (SELECT (%[3]s) FROM %[1]s WHERE %[2]s GROUP BY %[3]s HAVING count(*) > 1)
  QUALIFY row_number() OVER (PARTITION BY %[3]s ORDER BY source_key, source_bucket, rowid) > 1)`, t.Name, cond, key)
	res, err := conn.ExecContext(ctx, q, append(args, args...)...)
	if err != nil {
		return 0, fmt.Errorf("dedupe %s: %w", t.Name, err)
	}
	return res.RowsAffected()
}

// mergeSpans merges overlapping time spans (and ones less than an hour
// apart: one statement over a slightly wider span beats two).
func mergeSpans(spans [][2]time.Time) [][2]time.Time {
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var out [][2]time.Time
	for _, s := range spans {
		if n := len(out); n > 0 && !s[0].After(out[n-1][1].Add(time.Hour)) {
			if s[1].After(out[n-1][1]) {
				out[n-1][1] = s[1]
			}
			continue
		}
		out = append(out, s)
	}
	return out
}
