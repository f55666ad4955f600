-- id: iam_credentials_unused
-- title: IAM user credentials unused for a long time
-- description: >-
--   An IAM user's console password or active access key has not been used
--   for unused_days, as of the latest credential report at or before the end
--   of the window. A credential that was never used (password_last_used
--   no_information, key last used N/A) counts from when it was issued: the
--   key's creation or last rotation, the password's last change or the
--   user's creation. One finding per user; count is the number of such
--   credentials. Root is left to the root detections.
-- severity: medium
-- sources: [credential_report]
-- params:
--   unused_days: {default: 45, description: "days without use after which a password or active access key counts as unused"}
-- controls: {soc2: [CC6.2, CC6.3], iso27001: [A.5.18, A.5.17], cis_aws_v3: ["1.12"]}
-- why: >-
--   Credentials nobody uses are credentials nobody watches: they belong to
--   people who left, tools that were retired or keys made "just in case",
--   and their misuse stands out to no one. Removing them shrinks what an
--   attacker can steal at no cost to anyone.
-- remediation: >-
--   Confirm with the owner, then deactivate the unused key or remove the
--   console password (keep the user if something else needs it). Review
--   access regularly so that leavers' credentials are removed the day they
--   leave, and keep break-glass credentials under a documented procedure.
WITH report AS (
  SELECT * FROM credential_report_as_of(CAST($window_end AS TIMESTAMPTZ))
  WHERE NOT coalesce(is_root, false)
), creds AS (
  SELECT account_id, generated_at, user_name, arn, source_key,
    'password' AS credential,
    password_last_used AS last_used,
    password_last_used_raw AS last_used_raw,
    coalesce(password_last_used, greatest(password_last_changed, user_creation_time)) AS counted_from,
    CASE WHEN password_last_used IS NOT NULL THEN 'last_used'
         WHEN password_last_changed >= user_creation_time OR user_creation_time IS NULL THEN 'password_last_changed'
         ELSE 'user_created' END AS counted_from_kind
  FROM report
  WHERE coalesce(password_enabled, false)
  UNION ALL
  SELECT k.account_id, k.generated_at, k.user_name, k.arn, k.source_key,
    'access_key_' || k.key_slot AS credential,
    k.last_used_date AS last_used,
    k.last_used_date_raw AS last_used_raw,
    coalesce(k.last_used_date, k.last_rotated, r.user_creation_time) AS counted_from,
    CASE WHEN k.last_used_date IS NOT NULL THEN 'last_used'
         WHEN k.last_rotated IS NOT NULL THEN 'key_last_rotated'
         ELSE 'user_created' END AS counted_from_kind
  FROM iam_access_keys k
  JOIN report r USING (account_id, generated_at, user_name)
  WHERE coalesce(k.active, false)
), unused AS (
  SELECT *,
    CAST(floor((epoch(generated_at) - epoch(counted_from)) / 86400) AS BIGINT) AS days_unused
  FROM creds
  WHERE counted_from < generated_at - to_days(CAST($unused_days AS INTEGER))
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
    'unused_days', CAST($unused_days AS INTEGER),
    'credentials', list(json_object(
      'credential', credential,
      'never_used', last_used IS NULL,
      'last_used', coalesce(strftime(timezone('UTC', last_used), '%Y-%m-%dT%H:%M:%SZ'), last_used_raw),
      'counted_from', counted_from_kind,
      'counted_from_time', strftime(timezone('UTC', counted_from), '%Y-%m-%dT%H:%M:%SZ'),
      'days_unused', days_unused) ORDER BY credential)
  ) AS details
FROM unused
GROUP BY account_id, user_name, arn, generated_at
