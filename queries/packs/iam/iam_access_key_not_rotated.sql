-- id: iam_access_key_not_rotated
-- title: Active access key not rotated
-- description: An IAM user's active access key was created or last rotated more than rotation_days before the latest credential report at or before the end of the window. One finding per user; count is the number of such keys.
-- severity: medium
-- sources: [credential_report]
-- params:
--   rotation_days: {default: 90, description: "maximum age in days of an active access key, measured at report generation time"}
-- controls: {soc2: [CC6.1], iso27001: [A.5.17], cis_aws_v3: ["1.14"]}
-- why: >-
--   Long-lived keys collect copies: old laptops, CI variables, backups,
--   shell history. The older a key, the more places it may have leaked to
--   and the longer a leaked copy stays useful.
-- remediation: >-
--   Create a second key, move every consumer to it, deactivate the old key
--   and delete it once nothing breaks. Better, replace the key with a role
--   (instance profile, OIDC federation for CI, IAM Roles Anywhere) so there
--   is no long-lived secret to rotate.
WITH report AS (
  SELECT account_id, generated_at, user_name, is_root
  FROM credential_report_as_of(CAST($window_end AS TIMESTAMPTZ))
), stale AS (
  SELECT k.*,
    CAST(floor((epoch(k.generated_at) - epoch(k.last_rotated)) / 86400) AS BIGINT) AS age_days
  FROM iam_access_keys k
  JOIN report r USING (account_id, generated_at, user_name)
  WHERE NOT coalesce(r.is_root, false)
    AND coalesce(k.active, false)
    AND k.last_rotated < k.generated_at - to_days(CAST($rotation_days AS INTEGER))
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
    'rotation_days', CAST($rotation_days AS INTEGER),
    'keys', list(json_object(
      'key_slot', key_slot,
      'last_rotated', strftime(timezone('UTC', last_rotated), '%Y-%m-%dT%H:%M:%SZ'),
      'age_days', age_days,
      'last_used', coalesce(strftime(timezone('UTC', last_used_date), '%Y-%m-%dT%H:%M:%SZ'), last_used_date_raw)) ORDER BY key_slot)
  ) AS details
FROM stale
GROUP BY account_id, user_name, arn, generated_at
