-- id: cfg_cloudtrail_trail_misconfigured
-- title: CloudTrail trail not multi-region, without log file validation, or not logging
-- description: >-
--   A trail recorded by AWS Config was, in any version in force during the
--   window, single-region (isMultiRegionTrail false), without log file
--   integrity validation (logFileValidationEnabled false), not logging
--   (isLogging false, when the item carries it) or without KMS encryption
--   (no kmsKeyId). Details list which, and whether each still held at the
--   window end.
-- severity: high
-- sources: [config_items]
-- params: {}
-- controls: {soc2: [CC7.2, CC7.3], iso27001: [A.8.15, A.8.16], cis_aws_v3: ["3.1", "3.2", "3.5"]}
-- why: >-
--   The audit trail is the evidence for everything else. A single-region
--   trail misses activity in the regions attackers favour because nobody
--   looks there; without validation, deleted or edited log files cannot be
--   detected; a stopped trail records nothing at all. Attackers change these
--   settings first.
-- remediation: >-
--   Re-enable logging, turn on multi-region and log file validation, and
--   encrypt with a KMS key; restore the trail from infrastructure code.
--   Find who changed it (the related CloudTrail events in details) and treat
--   an unexpected change as an incident. Prefer an organisation trail that
--   member accounts cannot modify.
WITH versions AS (
  SELECT * FROM config_state_at(CAST($window_start AS TIMESTAMPTZ))
  WHERE resource_type = 'AWS::CloudTrail::Trail'
  UNION ALL
  SELECT * FROM config_items
  WHERE resource_type = 'AWS::CloudTrail::Trail'
    AND capture_time > CAST($window_start AS TIMESTAMPTZ)
    AND capture_time < CAST($window_end AS TIMESTAMPTZ)
), checked AS (
  SELECT *,
    row_number() OVER (PARTITION BY account_id, region, resource_id
      ORDER BY capture_time DESC, state_id DESC NULLS LAST, source_key) = 1 AS is_latest,
    list_filter([
      CASE WHEN NOT coalesce(TRY_CAST(configuration->>'$.isMultiRegionTrail' AS BOOLEAN), true) THEN 'not_multi_region' END,
      CASE WHEN NOT coalesce(TRY_CAST(configuration->>'$.logFileValidationEnabled' AS BOOLEAN), true) THEN 'log_file_validation_off' END,
      CASE WHEN NOT coalesce(TRY_CAST(configuration->>'$.isLogging' AS BOOLEAN), true) THEN 'not_logging' END,
      CASE WHEN coalesce(configuration->>'$.kmsKeyId', '') = '' THEN 'not_kms_encrypted' END
    ], p -> p IS NOT NULL) AS problems
  FROM versions
  WHERE NOT coalesce(status IN ('ResourceDeleted', 'ResourceDeletedNotRecorded'), false)
)
SELECT
  account_id,
  region,
  CAST(NULL AS VARCHAR) AS principal,
  resource_id AS resource,
  min(capture_time) AS first_seen,
  max(capture_time) AS last_seen,
  count(*) AS count,
  coalesce(list(coalesce(CAST(state_id AS VARCHAR), state_id_text) ORDER BY capture_time) FILTER (WHERE coalesce(CAST(state_id AS VARCHAR), state_id_text) IS NOT NULL), CAST([] AS VARCHAR[])) AS event_ids,
  coalesce(list(DISTINCT source_key) FILTER (WHERE source_key IS NOT NULL), CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'evaluated', 'versions_during_window',
    'trail_arn', any_value(arn),
    'problems', list_sort(list_distinct(flatten(list(problems)))),
    'problems_at_window_end', coalesce(list_sort(flatten(list(problems) FILTER (WHERE is_latest))), []),
    'related_cloudtrail_events', list_sort(list_distinct(flatten(list(coalesce(TRY_CAST(related_events AS VARCHAR[]), [])))))
  ) AS details
FROM checked
WHERE len(problems) > 0
GROUP BY account_id, region, resource_id
