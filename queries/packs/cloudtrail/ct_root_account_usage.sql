-- id: ct_root_account_usage
-- title: Root user used
-- description: >-
--   The root user of an account made a call or signed in, other than calls
--   an AWS service made on its behalf and service events (the CIS 4.3
--   metric filter). One finding per account, with every event.
-- severity: high
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.3, CC7.2], iso27001: [A.8.2, A.5.17, A.8.16], cis_aws_v3: ["4.3", "1.7"]}
-- why: >-
--   The root user can do anything in the account, including closing it and
--   changing its support and billing settings, and no IAM policy restricts
--   it. It should be locked away and used only for the few tasks that need
--   it, so every use deserves an explanation.
-- remediation: >-
--   Ask whoever used the root user why, and check the calls against the
--   short list of tasks that need root. If the use was not one of them, do
--   the work with an IAM role instead, rotate the root password, check that
--   it has MFA and no access keys, and restrict member accounts' root users
--   with a service control policy.
WITH events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    event_time, event_id, event_name, aws_region, source_ip_address, error_code, source_key
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND identity_type = 'Root'
    AND identity_invoked_by IS NULL
    AND event_type IS DISTINCT FROM 'AwsServiceEvent'
)
SELECT
  account_id,
  CAST(NULL AS VARCHAR) AS region,
  '<root_account>' AS principal,
  'arn:aws:iam::' || account_id || ':root' AS resource,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  count(*) AS count,
  list(event_id ORDER BY event_time, event_id) AS event_ids,
  coalesce(list(DISTINCT source_key ORDER BY source_key) FILTER (WHERE source_key IS NOT NULL), []) AS source_objects,
  json_object(
    'event_names', list(DISTINCT event_name ORDER BY event_name),
    'regions', coalesce(list(DISTINCT aws_region ORDER BY aws_region) FILTER (WHERE aws_region IS NOT NULL), []),
    'source_ips', coalesce(list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL), []),
    'days', count(DISTINCT CAST(timezone('UTC', event_time) AS DATE)),
    'failed_calls', count(*) FILTER (WHERE error_code IS NOT NULL)
  ) AS details
FROM events
GROUP BY account_id
