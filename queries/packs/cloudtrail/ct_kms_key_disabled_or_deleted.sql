-- id: ct_kms_key_disabled_or_deleted
-- title: KMS key disabled or scheduled for deletion
-- description: >-
--   A customer managed KMS key was disabled or scheduled for deletion (the
--   API calls of the CIS 4.7 metric filter). One finding per account,
--   principal and key (named by id or ARN alike).
-- severity: high
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.7, CC7.2], iso27001: [A.8.24, A.8.16], cis_aws_v3: ["4.7"]}
-- why: >-
--   Data encrypted under a key that is disabled cannot be read, and once the
--   key is deleted the data is lost for good. An attacker can use this to
--   destroy data or hold it to ransom; a mistake does the same.
-- remediation: >-
--   Confirm with the key's owner that the change was intended. Cancel a
--   scheduled deletion (CancelKeyDeletion) and re-enable the key if not, and
--   restrict kms:ScheduleKeyDeletion and kms:DisableKey to key
--   administrators.
WITH
-- Select the rows on typed columns first, then read the JSON columns of those
-- rows only (DuckDB fetches them by rowid instead of scanning every row's).
hits AS (
  SELECT rowid AS r
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name IN (
      'DisableKey', 'ScheduleKeyDeletion')
    AND event_source = 'kms.amazonaws.com'
),
events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    aws_region AS region,
    principal,
    regexp_replace(request_parameters->>'$.keyId', '^arn:[^:]+:kms:[^:]*:[^:]*:key/', '') AS resource,
    event_time, event_id, event_name, error_code, source_ip_address, source_key,
    TRY_CAST(request_parameters->>'$.pendingWindowInDays' AS INTEGER) AS pending_days
  FROM cloudtrail
  WHERE rowid IN (SELECT r FROM hits)
)
SELECT
  account_id,
  region,
  principal,
  resource,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  count(*) AS count,
  list(event_id ORDER BY event_time, event_id) AS event_ids,
  coalesce(list(DISTINCT source_key ORDER BY source_key) FILTER (WHERE source_key IS NOT NULL), []) AS source_objects,
  json_object(
    'event_names', list(DISTINCT event_name ORDER BY event_name),
    'failed_calls', count(*) FILTER (WHERE error_code IS NOT NULL),
    'error_codes', coalesce(list(DISTINCT error_code ORDER BY error_code) FILTER (WHERE error_code IS NOT NULL), []),
    'source_ips', coalesce(list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL), []),
    'pending_window_days', min(pending_days)
  ) AS details
FROM events
GROUP BY account_id, region, principal, resource
