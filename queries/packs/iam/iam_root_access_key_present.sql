-- id: iam_root_access_key_present
-- title: Root user has an active access key
-- description: The root user holds at least one active access key, according to the latest credential report at or before the end of the window.
-- severity: critical
-- sources: [credential_report]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.2], iso27001: [A.5.17, A.8.2], cis_aws_v3: ["1.4"]}
-- why: >-
--   A root access key gives unrestricted, MFA-free programmatic control of
--   the account that no IAM or service control policy can limit. Keys end
--   up in scripts, laptops and CI logs; one leak is a full compromise.
-- remediation: >-
--   Find what still uses the key (its last used service and region are in
--   the details; CloudTrail shows the calls), move that work to an IAM role,
--   then deactivate the key, wait for breakage, and delete it. Alert on any
--   new root CreateAccessKey.
WITH report AS (
  SELECT account_id, generated_at, user_name, arn, is_root, source_key
  FROM credential_report_as_of(CAST($window_end AS TIMESTAMPTZ))
), keys AS (
  SELECT k.*
  FROM iam_access_keys k
  JOIN report r USING (account_id, generated_at, user_name)
  WHERE r.is_root AND coalesce(k.active, false)
)
SELECT
  account_id,
  CAST(NULL AS VARCHAR) AS region,
  user_name AS principal,
  arn AS resource,
  generated_at AS first_seen,
  generated_at AS last_seen,
  count(*) AS count,
  CAST([] AS VARCHAR[]) AS event_ids,
  coalesce(list(DISTINCT source_key) FILTER (WHERE source_key IS NOT NULL), CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'report_generated_at', strftime(timezone('UTC', generated_at), '%Y-%m-%dT%H:%M:%SZ'),
    'active_keys', list(json_object(
      'key_slot', key_slot,
      'last_rotated', strftime(timezone('UTC', last_rotated), '%Y-%m-%dT%H:%M:%SZ'),
      'last_used', coalesce(strftime(timezone('UTC', last_used_date), '%Y-%m-%dT%H:%M:%SZ'), last_used_date_raw),
      'last_used_region', last_used_region,
      'last_used_service', last_used_service) ORDER BY key_slot)
  ) AS details
FROM keys
GROUP BY account_id, user_name, arn, generated_at
