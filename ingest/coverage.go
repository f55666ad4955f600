package ingest

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/auditlake/auditlake/internal/duck"
)

// coverageViews answer the auditor's first question: what does the evidence
// cover, and where are the gaps. They are built on the manifest, so they
// count what was delivered and read, including objects that failed.
var coverageViews = []string{
	`CREATE OR REPLACE VIEW coverage AS
SELECT
  coalesce(target_table, log_type) AS source,
  log_type,
  account_id,
  region,
  day,
  count(*) AS objects,
  count(*) FILTER (WHERE status = 'loaded') AS objects_loaded,
  count(*) FILTER (WHERE status = 'failed') AS objects_failed,
  count(*) FILTER (WHERE status = 'skipped') AS objects_skipped,
  coalesce(sum(rows) FILTER (WHERE status = 'loaded'), 0) AS rows,
  coalesce(sum(skipped_records), 0) AS records_skipped
FROM ingest_objects
WHERE log_type NOT IN ('unsupported', 'unrecognised')
GROUP BY ALL`,
	// coverage_days(first, last): one row per source, account, region and
	// day of the range, for every source/account/region that has any data:
	// days without a loaded object are gaps, stated as such.
	`CREATE OR REPLACE MACRO coverage_days(first_day, last_day) AS TABLE
WITH streams AS (
  SELECT DISTINCT source, account_id, region FROM coverage WHERE objects_loaded > 0 AND source NOT LIKE '%digest%'
),
days AS (
  SELECT CAST(d AS DATE) AS day FROM generate_series(CAST(first_day AS DATE), CAST(last_day AS DATE), INTERVAL 1 DAY) t(d)
)
SELECT s.source, s.account_id, s.region, days.day,
  coalesce(sum(c.objects_loaded), 0) AS objects_loaded,
  coalesce(sum(c.objects_failed), 0) AS objects_failed,
  coalesce(sum(c.rows), 0) AS rows,
  CASE WHEN coalesce(sum(c.objects_failed), 0) > 0 THEN 'failed objects'
       WHEN coalesce(sum(c.objects_loaded), 0) = 0 THEN 'no data'
       ELSE 'ok' END AS state
FROM streams s CROSS JOIN days
LEFT JOIN coverage c ON c.source = s.source AND c.account_id IS NOT DISTINCT FROM s.account_id
  AND c.region IS NOT DISTINCT FROM s.region AND c.day = days.day
GROUP BY ALL
ORDER BY ALL`,
}

// Stream is one source/account/region's coverage of a date range.
type Stream struct {
	Source, Account, Region string
	Days                    []Day // every day of the range, in order
	Objects, Failed, Rows   int64
}

// Day is one day of a stream.
type Day struct {
	Date    time.Time
	Objects int64
	Failed  int64
	Rows    int64
	State   string // ok, no data, failed objects
}

// Gaps lists the days of the stream that are not "ok".
func (s *Stream) Gaps() []Day {
	var out []Day
	for _, d := range s.Days {
		if d.State != "ok" {
			out = append(out, d)
		}
	}
	return out
}

// Coverage reports every stream's days in [first, last] (dates, inclusive).
// Credential reports are periodic, not daily: their "no data" days are
// normal, and callers show them differently (Periodic reports which).
func Coverage(ctx context.Context, db *duck.DB, first, last time.Time) ([]*Stream, error) {
	rows, err := db.QueryContext(ctx, `SELECT source, coalesce(account_id, ''), coalesce(region, ''), day, objects_loaded, objects_failed, rows, state
FROM coverage_days(?::DATE, ?::DATE)`, first.Format(time.DateOnly), last.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	defer rows.Close()
	byKey := map[string]*Stream{}
	var out []*Stream
	for rows.Next() {
		var s Stream
		var d Day
		if err := rows.Scan(&s.Source, &s.Account, &s.Region, &d.Date, &d.Objects, &d.Failed, &d.Rows, &d.State); err != nil {
			return nil, err
		}
		k := s.Source + "\x00" + s.Account + "\x00" + s.Region
		st := byKey[k]
		if st == nil {
			st = &Stream{Source: s.Source, Account: s.Account, Region: s.Region}
			byKey[k] = st
			out = append(out, st)
		}
		st.Days = append(st.Days, d)
		st.Objects += d.Objects
		st.Failed += d.Failed
		st.Rows += d.Rows
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Region < b.Region
	})
	return out, nil
}

// Periodic reports whether a source is delivered periodically or only when
// something happens, rather than continuously, so that days without data
// are not gaps: credential reports exist when someone collects one, and
// AWS Config writes history only for the six-hour windows in which a
// recorded resource changed (a quiet region has days without a file).
func Periodic(source string) bool {
	return source == "credential_report" || source == "config_items"
}

// DataRange returns the first and last key dates with loaded data.
func DataRange(ctx context.Context, db *duck.DB) (first, last time.Time, ok bool, err error) {
	var lo, hi *time.Time
	err = db.QueryRowContext(ctx, "SELECT min(day), max(day) FROM ingest_objects WHERE status = 'loaded'").Scan(&lo, &hi)
	if err != nil || lo == nil {
		return time.Time{}, time.Time{}, false, err
	}
	return *lo, *hi, true, nil
}
