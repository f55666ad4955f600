package queries

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// RunTablesDDL creates the tables a detection run writes (contract: the
// evidence package reads them).
var RunTablesDDL = []string{
	`CREATE TABLE IF NOT EXISTS detection_runs (
  run_id VARCHAR,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  window_start TIMESTAMPTZ,
  window_end TIMESTAMPTZ,
  auditlake_version VARCHAR,
  packs JSON,
  params JSON,
  status VARCHAR
)`,
	`CREATE TABLE IF NOT EXISTS detection_results (
  run_id VARCHAR,
  detection_id VARCHAR,
  pack VARCHAR,
  pack_version VARCHAR,
  title VARCHAR,
  description VARCHAR,
  severity VARCHAR,
  status VARCHAR,
  finding_count BIGINT,
  error VARCHAR,
  sources VARCHAR[],
  soc2 VARCHAR[],
  iso27001 VARCHAR[],
  cis_aws_v3 VARCHAR[],
  why VARCHAR,
  remediation VARCHAR,
  params JSON,
  sql VARCHAR,
  sql_sha256 VARCHAR,
  duration_ms BIGINT
)`,
	`CREATE TABLE IF NOT EXISTS findings (
  run_id VARCHAR,
  detection_id VARCHAR,
  finding_id VARCHAR,
  severity VARCHAR,
  account_id VARCHAR,
  region VARCHAR,
  principal VARCHAR,
  resource VARCHAR,
  first_seen TIMESTAMPTZ,
  last_seen TIMESTAMPTZ,
  count BIGINT,
  event_ids VARCHAR[],
  source_objects VARCHAR[],
  details JSON
)`,
	`CREATE TABLE IF NOT EXISTS control_catalog (
  framework VARCHAR,
  control_id VARCHAR,
  title VARCHAR,
  summary VARCHAR,
  responsibility VARCHAR
)`,
}

// Record writes a run to db (read-write) in one transaction: one
// detection_runs row, one detection_results row per detection, its
// findings, and the control catalogue (replaced).
func Record(ctx context.Context, db *sql.DB, r *RunResult) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
			err = fmt.Errorf("record run %s: %w", r.RunID, err)
		}
	}()
	for _, stmt := range RunTablesDDL {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	params := map[string]map[string]any{}
	for _, dr := range r.Results {
		params[dr.Detection.ID] = dr.Params
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO detection_runs VALUES (?, ?, ?, ?, ?, ?, CAST(? AS JSON), CAST(? AS JSON), ?)`,
		r.RunID, r.StartedAt, r.FinishedAt, r.WindowStart, r.WindowEnd, r.Version, mustJSON(r.Packs), mustJSON(params), r.Status); err != nil {
		return err
	}
	res, err := tx.PrepareContext(ctx, `INSERT INTO detection_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS JSON), ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer res.Close()
	for _, dr := range r.Results {
		d := dr.Detection
		if _, err := res.ExecContext(ctx, r.RunID, d.ID, d.Pack.Name, d.Pack.Version, d.Title, d.Description, d.Severity,
			dr.Status, int64(len(dr.Findings)), nullStr(dr.Error), list(d.Sources),
			list(d.Controls.SOC2), list(d.Controls.ISO27001), list(d.Controls.CISAWSv3),
			d.Why, d.Remediation, mustJSON(dr.Params), dr.SQL, dr.SQLSHA256, dr.Duration.Milliseconds()); err != nil {
			return err
		}
	}
	fins, err := tx.PrepareContext(ctx, `INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS JSON))`)
	if err != nil {
		return err
	}
	defer fins.Close()
	for _, f := range r.Findings {
		var details any
		if len(f.Details) > 0 {
			details = string(f.Details)
		}
		if _, err := fins.ExecContext(ctx, r.RunID, f.DetectionID, f.FindingID, f.Severity,
			nullStr(f.AccountID), nullStr(f.Region), nullStr(f.Principal), nullStr(f.Resource),
			nullTime(f.FirstSeen), nullTime(f.LastSeen), f.Count, list(f.EventIDs), list(f.SourceObjects), details); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM control_catalog`); err != nil {
		return err
	}
	cat, err := tx.PrepareContext(ctx, `INSERT INTO control_catalog VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer cat.Close()
	for _, fw := range Frameworks {
		for _, c := range r.Catalog.Controls[fw] {
			if _, err := cat.ExecContext(ctx, fw, c.ID, c.Title, c.Summary, c.Responsibility); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of plain values reach here
	}
	return string(b)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// list binds a string slice as VARCHAR[] (never NULL: an empty list).
func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// Run evaluates and records on one read-write database: Evaluate, then
// Record.
func Run(ctx context.Context, db *sql.DB, cfg RunConfig) (*RunResult, error) {
	res, err := Evaluate(ctx, db, cfg)
	if err != nil {
		return nil, err
	}
	return res, Record(ctx, db, res)
}
