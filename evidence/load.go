package evidence

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/reports"
)

// ErrNoRun means the database holds no detection run for the period.
var ErrNoRun = errors.New("no detection run for the period")

// maxFailedObjects caps the failed objects listed (the count is exact).
const maxFailedObjects = 5000

// severityOrder sorts severities in SQL, most urgent first.
const severityOrder = `CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 WHEN 'info' THEN 4 ELSE 5 END`

// load reads everything the pack shows into a model. Every query orders its
// rows completely, so that the same database gives the same model.
func load(ctx context.Context, db *duck.DB, cfg *Config) (*reports.Model, error) {
	m := &reports.Model{
		Org:         cfg.Org,
		Period:      cfg.Period,
		Frameworks:  cfg.Frameworks,
		Accounts:    cfg.Accounts,
		ToolVersion: cfg.ToolVersion,
		PackFormat:  PackFormat,
		Database:    reports.Database{File: filepath.Base(db.Path)},
	}
	if err := db.QueryRowContext(ctx, `SELECT version()`).Scan(&m.Database.DuckDBVersion); err != nil {
		return nil, fmt.Errorf("duckdb version: %w", err)
	}
	steps := []struct {
		what string
		fn   func(context.Context, *duck.DB, *Config, *reports.Model) error
	}{
		{"detection run", loadRun},
		{"detection results", loadDetections},
		{"findings", loadFindings},
		{"control catalogue", loadControls},
		{"coverage", loadCoverage},
		{"events per day", loadEventsPerDay},
		{"previous period", loadPrevious},
		{"ingest manifest", loadIngest},
	}
	for _, s := range steps {
		if err := s.fn(ctx, db, cfg, m); err != nil {
			return nil, fmt.Errorf("evidence: %s: %w", s.what, err)
		}
	}
	return m, nil
}

// accountFilter returns a SQL condition on col and its argument for the
// --accounts filter ("TRUE" without one).
func accountFilter(col string, accounts []string) (string, []any) {
	if len(accounts) == 0 {
		return "TRUE", nil
	}
	return col + " IN (SELECT unnest(?::VARCHAR[]))", []any{accounts}
}

func loadRun(ctx context.Context, db *duck.DB, cfg *Config, m *reports.Model) error {
	q := `SELECT run_id, started_at, finished_at, window_start, window_end, coalesce(auditlake_version, ''), coalesce(CAST(packs AS VARCHAR), '[]'), status
FROM detection_runs `
	var args []any
	if cfg.RunID != "" {
		q += `WHERE run_id = ?`
		args = []any{cfg.RunID}
	} else {
		q += `WHERE window_start = ? AND window_end = ? ORDER BY started_at DESC, run_id DESC LIMIT 1`
		args = []any{cfg.Period.Start, cfg.Period.End}
	}
	var packs string
	r := &m.Run
	err := db.QueryRowContext(ctx, q, args...).Scan(&r.ID, &r.StartedAt, &r.FinishedAt, &r.WindowStart, &r.WindowEnd, &r.Version, &packs, &r.Status)
	if errors.Is(err, sql.ErrNoRows) || err != nil && strings.Contains(err.Error(), "detection_runs does not exist") {
		if cfg.RunID != "" {
			return fmt.Errorf("run %s: %w", cfg.RunID, ErrNoRun)
		}
		return fmt.Errorf("%s (%s to %s): %w", cfg.Period.Label, cfg.Period.Start.Format(time.RFC3339), cfg.Period.End.Format(time.RFC3339), ErrNoRun)
	}
	if err != nil {
		return err
	}
	if cfg.RunID != "" && (!r.WindowStart.Equal(cfg.Period.Start) || !r.WindowEnd.Equal(cfg.Period.End)) {
		return fmt.Errorf("run %s analysed %s to %s, not the period %s", r.ID, r.WindowStart.UTC().Format(time.RFC3339), r.WindowEnd.UTC().Format(time.RFC3339), cfg.Period.Label)
	}
	r.StartedAt, r.FinishedAt, r.WindowStart, r.WindowEnd = r.StartedAt.UTC(), r.FinishedAt.UTC(), r.WindowStart.UTC(), r.WindowEnd.UTC()
	return json.Unmarshal([]byte(packs), &r.Packs)
}

func loadDetections(ctx context.Context, db *duck.DB, cfg *Config, m *reports.Model) error {
	rows, err := db.QueryContext(ctx, `SELECT detection_id, coalesce(pack, ''), coalesce(pack_version, ''), coalesce(title, ''), coalesce(description, ''),
  coalesce(severity, ''), status, coalesce(finding_count, 0), coalesce(error, ''),
  CAST(to_json(coalesce(sources, [])) AS VARCHAR), CAST(to_json(coalesce(soc2, [])) AS VARCHAR), CAST(to_json(coalesce(iso27001, [])) AS VARCHAR), CAST(to_json(coalesce(cis_aws_v3, [])) AS VARCHAR),
  coalesce(why, ''), coalesce(remediation, ''), coalesce(CAST(params AS VARCHAR), '{}'), coalesce(sql, ''), coalesce(sql_sha256, '')
FROM detection_results WHERE run_id = ? ORDER BY pack, detection_id`, m.Run.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d reports.Detection
		var sources, soc2, iso, cis, params string
		if err := rows.Scan(&d.ID, &d.Pack, &d.PackVersion, &d.Title, &d.Description, &d.Severity, &d.Status, &d.FindingCount, &d.Error,
			&sources, &soc2, &iso, &cis, &d.Why, &d.Remediation, &params, &d.SQL, &d.SQLSHA256); err != nil {
			return err
		}
		d.Controls = map[string][]string{}
		for fw, js := range map[string]string{"soc2": soc2, "iso27001": iso, "cis_aws_v3": cis} {
			var ids []string
			if err := json.Unmarshal([]byte(js), &ids); err != nil {
				return fmt.Errorf("%s: %s controls: %w", d.ID, fw, err)
			}
			d.Controls[fw] = ids
		}
		if err := json.Unmarshal([]byte(sources), &d.Sources); err != nil {
			return fmt.Errorf("%s: sources: %w", d.ID, err)
		}
		d.Params = canonicalJSON(params)
		m.Detections = append(m.Detections, d)
	}
	return rows.Err()
}

// canonicalJSON re-encodes JSON with sorted keys; text that is not JSON is
// returned as it is.
func canonicalJSON(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return string(b)
}

func loadFindings(ctx context.Context, db *duck.DB, cfg *Config, m *reports.Model) error {
	cond, args := accountFilter("account_id", cfg.Accounts)
	rows, err := db.QueryContext(ctx, `SELECT detection_id, finding_id, coalesce(severity, ''), coalesce(account_id, ''), coalesce(region, ''),
  coalesce(principal, ''), coalesce(resource, ''), first_seen, last_seen, coalesce(count, 0),
  CAST(to_json(coalesce(event_ids, [])) AS VARCHAR), CAST(to_json(coalesce(source_objects, [])) AS VARCHAR), coalesce(CAST(details AS VARCHAR), '')
FROM findings WHERE run_id = ? AND `+cond+`
ORDER BY `+severityOrder+`, detection_id, account_id, principal, resource, first_seen, finding_id`, append([]any{m.Run.ID}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	count := map[string]int64{}
	for rows.Next() {
		var f reports.Finding
		var first, last sql.NullTime
		var events, objects string
		if err := rows.Scan(&f.DetectionID, &f.FindingID, &f.Severity, &f.AccountID, &f.Region, &f.Principal, &f.Resource,
			&first, &last, &f.Count, &events, &objects, &f.Details); err != nil {
			return err
		}
		if first.Valid {
			f.FirstSeen = first.Time.UTC()
		}
		if last.Valid {
			f.LastSeen = last.Time.UTC()
		}
		if err := json.Unmarshal([]byte(events), &f.EventIDs); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(objects), &f.SourceObjects); err != nil {
			return err
		}
		f.Details = canonicalJSON(f.Details)
		count[f.DetectionID]++
		m.Findings = append(m.Findings, f)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// With an account filter, a detection's result is its result on the
	// accounts in scope.
	for i := range m.Detections {
		d := &m.Detections[i]
		d.FindingCount = count[d.ID]
		if d.Status == "fail" && d.FindingCount == 0 {
			d.Status = "pass"
		}
	}
	return nil
}

func loadControls(ctx context.Context, db *duck.DB, cfg *Config, m *reports.Model) error {
	rows, err := db.QueryContext(ctx, `SELECT framework, control_id, coalesce(title, ''), coalesce(summary, ''), coalesce(responsibility, '')
FROM control_catalog ORDER BY framework, rowid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	m.Controls = map[string][]reports.Control{}
	for rows.Next() {
		var c reports.Control
		if err := rows.Scan(&c.Framework, &c.ID, &c.Title, &c.Summary, &c.Responsibility); err != nil {
			return err
		}
		m.Controls[c.Framework] = append(m.Controls[c.Framework], c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, fw := range cfg.Frameworks {
		if len(m.Controls[fw]) == 0 {
			return fmt.Errorf("the control catalogue holds no %s controls", fw)
		}
	}
	return nil
}

func loadCoverage(ctx context.Context, db *duck.DB, cfg *Config, m *reports.Model) error {
	first, last := cfg.Period.Start.Truncate(24*time.Hour), cfg.Period.LastDay()
	streams, err := ingest.Coverage(ctx, db, first, last)
	if err != nil && !strings.Contains(err.Error(), "does not exist") {
		return err
	}
	c := &m.Coverage
	accounts, regions, sources := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range streams {
		if len(cfg.Accounts) > 0 && !slices.Contains(cfg.Accounts, s.Account) {
			continue
		}
		st := reports.Stream{Source: s.Source, Account: s.Account, Region: s.Region, Periodic: ingest.Periodic(s.Source)}
		for _, d := range s.Days {
			st.Days = append(st.Days, reports.Day{Date: d.Date.UTC(), Objects: d.Objects, Failed: d.Failed, Rows: d.Rows, State: d.State})
			st.Objects += d.Objects
			st.Failed += d.Failed
			st.Rows += d.Rows
		}
		// A stream with data in the database but none in the period
		// stays: it is a gap of the period.
		if st.Objects > 0 {
			sources[st.Source] = true
			if st.Account != "" {
				accounts[st.Account] = true
			}
			if st.Region != "" {
				regions[st.Region] = true
			}
		}
		c.Streams = append(c.Streams, st)
	}
	slices.SortFunc(c.Streams, func(a, b reports.Stream) int {
		return strings.Compare(a.Source+"\x00"+a.Account+"\x00"+a.Region, b.Source+"\x00"+b.Account+"\x00"+b.Region)
	})
	c.Accounts, c.Regions, c.Sources = keys(accounts), keys(regions), keys(sources)

	cond, args := accountFilter("account_id", cfg.Accounts)
	fargs := append([]any{first, last}, args...)
	where := `status = 'failed' AND day >= ?::DATE AND day <= ?::DATE AND ` + cond
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM ingest_objects WHERE `+where, fargs...).Scan(&c.FailedTotal); err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil
		}
		return err
	}
	rows, err := db.QueryContext(ctx, `SELECT coalesce(target_table, log_type, ''), coalesce(account_id, ''), coalesce(region, ''), day, bucket, key, coalesce(error, '')
FROM ingest_objects WHERE `+where+` ORDER BY ALL LIMIT `+fmt.Sprint(maxFailedObjects), fargs...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o reports.FailedObject
		if err := rows.Scan(&o.Source, &o.Account, &o.Region, &o.Day, &o.Bucket, &o.Key, &o.Error); err != nil {
			return err
		}
		o.Day = o.Day.UTC()
		c.FailedObjects = append(c.FailedObjects, o)
	}
	return rows.Err()
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// loadEventsPerDay counts CloudTrail events per day of the period (by event
// time) and marks the days no CloudTrail object was loaded for; it also
// lays out the days of FindingsPerDay.
func loadEventsPerDay(ctx context.Context, db *duck.DB, cfg *Config, m *reports.Model) error {
	first := cfg.Period.Start.Truncate(24 * time.Hour)
	days := cfg.Period.Days()
	idx := map[string]int{}
	for i := range days {
		d := first.AddDate(0, 0, i)
		idx[d.Format(time.DateOnly)] = i
		m.EventsPerDay = append(m.EventsPerDay, reports.DayCount{Day: d, Missing: true})
		m.FindingsPerDay = append(m.FindingsPerDay, reports.DayCount{Day: d})
	}
	for _, f := range m.Findings {
		if i, ok := idx[f.FirstSeen.Format(time.DateOnly)]; ok {
			m.FindingsPerDay[i].Count++
		}
	}
	for _, s := range m.Coverage.Streams {
		if s.Source != "cloudtrail" {
			continue
		}
		for _, d := range s.Days {
			if i, ok := idx[d.Date.Format(time.DateOnly)]; ok && d.Objects > 0 {
				m.EventsPerDay[i].Missing = false
			}
		}
	}
	cond, args := accountFilter("recipient_account_id", cfg.Accounts)
	rows, err := db.QueryContext(ctx, `SELECT strftime(CAST(event_time AT TIME ZONE 'UTC' AS DATE), '%Y-%m-%d') AS d, count(*) FROM cloudtrail
WHERE event_time >= ? AND event_time < ? AND `+cond+` GROUP BY d ORDER BY d`, append([]any{cfg.Period.Start, cfg.Period.End}, args...)...)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil
		}
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var n int64
		if err := rows.Scan(&d, &n); err != nil {
			return err
		}
		if i, ok := idx[d]; ok {
			m.EventsPerDay[i].Count = n
		}
	}
	return rows.Err()
}

func loadPrevious(ctx context.Context, db *duck.DB, cfg *Config, m *reports.Model) error {
	prev := Previous(cfg.Period)
	var id string
	err := db.QueryRowContext(ctx, `SELECT run_id FROM detection_runs WHERE window_start = ? AND window_end = ? ORDER BY started_at DESC, run_id DESC LIMIT 1`,
		prev.Start, prev.End).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	p := &reports.PeriodSummary{Label: prev.Label, RunID: id, BySeverity: map[string]int64{}}
	cond, args := accountFilter("account_id", cfg.Accounts)
	rows, err := db.QueryContext(ctx, `SELECT coalesce(severity, ''), count(*) FROM findings WHERE run_id = ? AND `+cond+` GROUP BY ALL ORDER BY ALL`,
		append([]any{id}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return err
		}
		p.BySeverity[s] = n
		p.Total += n
	}
	m.Previous = p
	return rows.Err()
}

func loadIngest(ctx context.Context, db *duck.DB, cfg *Config, m *reports.Model) error {
	first, last := cfg.Period.Start.Truncate(24*time.Hour), cfg.Period.LastDay()
	in := &m.Ingest
	rows, err := db.QueryContext(ctx, `SELECT coalesce(log_type, ''), coalesce(status, ''), count(*), coalesce(sum(rows), 0), coalesce(sum(size), 0)
FROM ingest_objects WHERE day >= ?::DATE AND day <= ?::DATE GROUP BY ALL ORDER BY ALL`, first, last)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			in.SHA256 = hex.EncodeToString(sha256.New().Sum(nil))
			return nil
		}
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r reports.IngestRow
		if err := rows.Scan(&r.LogType, &r.Status, &r.Objects, &r.Rows, &r.Bytes); err != nil {
			return err
		}
		in.Rows = append(in.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	in.Objects, in.SHA256, err = IngestDigest(ctx, db.DB, first, last)
	if err != nil {
		return err
	}
	runs, err := db.QueryContext(ctx, `SELECT DISTINCT run_id FROM ingest_objects WHERE day >= ?::DATE AND day <= ?::DATE AND run_id IS NOT NULL ORDER BY run_id`, first, last)
	if err != nil {
		return err
	}
	defer runs.Close()
	for runs.Next() {
		var id string
		if err := runs.Scan(&id); err != nil {
			return err
		}
		in.Runs = append(in.Runs, id)
	}
	return runs.Err()
}

// IngestDigest is the SHA-256 over the ingest manifest rows (ingest_objects)
// whose key date is in [first, last]: each row's bucket, key, etag, sha256
// and status as one CSV record (RFC 4180, "\n" line ends, NULL as the empty
// string), rows sorted by those five fields. Anyone with the database can
// recompute it with the same query.
func IngestDigest(ctx context.Context, db *sql.DB, first, last time.Time) (int64, string, error) {
	rows, err := db.QueryContext(ctx, `SELECT coalesce(bucket, ''), coalesce(key, ''), coalesce(etag, ''), coalesce(sha256, ''), coalesce(status, '')
FROM ingest_objects WHERE day >= ?::DATE AND day <= ?::DATE ORDER BY 1, 2, 3, 4, 5`, first.Format(time.DateOnly), last.Format(time.DateOnly))
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	h := sha256.New()
	w := csv.NewWriter(h)
	rec := make([]string, 5)
	var n int64
	for rows.Next() {
		if err := rows.Scan(&rec[0], &rec[1], &rec[2], &rec[3], &rec[4]); err != nil {
			return 0, "", err
		}
		if err := w.Write(rec); err != nil {
			return 0, "", err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	w.Flush()
	return n, hex.EncodeToString(h.Sum(nil)), w.Error()
}
