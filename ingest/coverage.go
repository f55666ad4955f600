package ingest

// coverageViews answer the auditor's first question: what does the evidence
// cover, and where are the gaps.
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
  sum(rows) FILTER (WHERE status = 'loaded') AS rows,
  sum(skipped_records) AS records_skipped
FROM ingest_objects
GROUP BY ALL`,
}
