-- id: ct_cloudtrail_config_change
-- title: CloudTrail trail created, changed, stopped or deleted
-- description: >-
--   A trail was created, updated or deleted, or its logging was started or
--   stopped (the API calls of the CIS 4.5 metric filter). One finding per
--   account, principal and trail (named by name or ARN alike).
-- severity: high
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC7.2, CC7.3, CC8.1], iso27001: [A.8.15, A.8.16, A.8.9], cis_aws_v3: ["4.5"]}
-- why: >-
--   The trail is the audit record itself. Stopping or deleting it, or
--   changing where and how it delivers, blinds every other detection for as
--   long as it lasts, which is what an intruder does first.
-- remediation: >-
--   Confirm each change was planned; restart logging at once if it was
--   stopped, and compare the trail's settings with the baseline (multi-
--   region, log file validation, KMS encryption). Deny
--   cloudtrail:StopLogging and DeleteTrail with a service control policy
--   outside a break-glass role.
WITH
-- Select the rows on typed columns first, then read the JSON columns of those
-- rows only (DuckDB fetches them by rowid instead of scanning every row's).
hits AS (
  SELECT rowid AS r
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name IN (
      'CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging',
      'StopLogging')
),
events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    aws_region AS region,
    principal,
    regexp_replace(coalesce(request_parameters->>'$.name', response_elements->>'$.trailARN'), '^arn:[^:]+:cloudtrail:[^:]*:[^:]*:trail/', '') AS resource,
    event_time, event_id, event_name, error_code, source_ip_address, source_key
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
    'source_ips', coalesce(list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL), [])
  ) AS details
FROM events
GROUP BY account_id, region, principal, resource
