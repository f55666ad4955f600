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
	losers := fmt.Sprintf(`SELECT rowid FROM %[1]s
  WHERE %[2]s AND (%[3]s) IN (SELECT (%[3]s) FROM %[1]s WHERE %[2]s GROUP BY %[3]s HAVING count(*) > 1)
  QUALIFY row_number() OVER (PARTITION BY %[3]s ORDER BY source_key, source_bucket, rowid) > 1`, t.Name, cond, key)
	// The removed copies are kept aside: if the object holding the kept
	// copy later changes or fails, restoreCopies puts one back (a clean
	// ingest would have kept it).
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s SELECT * FROM %s WHERE rowid IN (%s)", dupTable(t), t.Name, losers),
		append(args, args...)...); err != nil {
		return 0, fmt.Errorf("dedupe %s: keep removed copies: %w", t.Name, err)
	}
	res, err := conn.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE rowid IN (%s)", t.Name, losers), append(args, args...)...)
	if err != nil {
		return 0, fmt.Errorf("dedupe %s: %w", t.Name, err)
	}
	return res.RowsAffected()
}

// dupTable holds the copies dedupe removed from t (same columns), so that
// they can stand in for a kept copy whose object goes away.
func dupTable(t *source.Table) string { return "ingest_dup_" + t.Name }

// dupTableDDL creates t's dupTable (tables with a dedupe key only).
func dupTableDDL(t *source.Table) string {
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s AS SELECT * FROM %s LIMIT 0", dupTable(t), t.Name)
}

// restoreCopies runs before the rows of objects (keys, in bucket) are
// deleted because the objects changed or failed. A record those objects
// held may have been delivered by other objects too, whose copies dedupe
// removed: without them the record would vanish although the archive still
// holds it (found by e2e's TestIntegrationCorruption). Those copies go back
// into t, their time window is marked for the run's dedupe pass (which keeps
// one), and the changed objects' own removed copies are dropped.
func restoreCopies(ctx context.Context, conn *duck.Conn, t *source.Table, bucket string, keys []string) error {
	if len(t.Key) == 0 || t.Time == "" {
		return nil
	}
	key := strings.Join(t.Key, ", ")
	const chunk = 500
	for len(keys) > 0 {
		n := min(chunk, len(keys))
		in := "source_bucket = ? AND source_key IN (" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
		objs := []any{bucket}
		for _, k := range keys[:n] {
			objs = append(objs, k)
		}
		// Copies from other objects of records the changed objects hold.
		others := fmt.Sprintf("(%[1]s) IN (SELECT (%[1]s) FROM %[2]s WHERE %[3]s) AND NOT (%[3]s)", key, t.Name, in)
		args := append(append([]any{}, objs...), objs...)
		res, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s SELECT * FROM %s WHERE %s", t.Name, dupTable(t), others), args...)
		if err != nil {
			return fmt.Errorf("restore removed copies into %s: %w", t.Name, err)
		}
		if restored, _ := res.RowsAffected(); restored > 0 {
			// Copies of one record share its time: the changed objects'
			// rows span the restored ones.
			if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO ingest_dirty SELECT ?, min(%[1]s), max(%[1]s), bool_or(%[1]s IS NULL) FROM %[2]s WHERE %[3]s",
				t.Time, t.Name, in), append([]any{t.Name}, objs...)...); err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s", dupTable(t), others), args...); err != nil {
				return err
			}
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s", dupTable(t), in), objs...); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
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
