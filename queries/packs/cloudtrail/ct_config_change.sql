-- id: ct_config_change
-- title: AWS Config recorder or delivery channel changed or stopped
-- description: >-
--   The AWS Config configuration recorder was stopped or changed, or its
--   delivery channel was changed or deleted (the API calls of the CIS 4.9
--   metric filter). One finding per account, principal and recorder or
--   channel.
-- severity: high
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC7.1, CC7.2, CC8.1], iso27001: [A.8.9, A.8.15, A.8.16], cis_aws_v3: ["4.9"]}
-- why: >-
--   AWS Config is the record of how resources were configured over time, the
--   evidence for every configuration control. Stopping the recorder or
--   redirecting its delivery leaves a gap nobody can fill afterwards.
-- remediation: >-
--   Restart the recorder (StartConfigurationRecorder) if it was stopped,
--   check that the delivery channel still points at the central bucket, and
--   restrict these calls to the team that owns AWS Config, for example with
--   a service control policy.
WITH
-- Select the rows on typed columns first, then read the JSON columns of those
-- rows only (DuckDB fetches them by rowid instead of scanning every row's).
hits AS (
  SELECT rowid AS r
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name IN (
      'StopConfigurationRecorder', 'DeleteDeliveryChannel', 'PutDeliveryChannel', 'PutConfigurationRecorder')
    AND event_source = 'config.amazonaws.com'
),
events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    aws_region AS region,
    principal,
    coalesce(request_parameters->>'$.configurationRecorderName', request_parameters->>'$.configurationRecorder.name', request_parameters->>'$.deliveryChannelName', request_parameters->>'$.deliveryChannel.name') AS resource,
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
