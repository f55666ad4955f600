-- id: iam_root_used_recently
-- title: Root user used recently
-- description: The root user's password or an access key was used within recent_days before the latest credential report at or before the end of the window. CloudTrail shows what root did (root sign-ins and calls have principal <root_account>).
-- severity: medium
-- sources: [credential_report]
-- params:
--   recent_days: {default: 90, description: "days before the report in which any root use is reported"}
-- controls: {soc2: [CC6.1, CC7.2], iso27001: [A.8.2, A.5.17], cis_aws_v3: ["1.7"]}
-- why: >-
--   Root should be used only for the few tasks that require it (some billing,
--   support plan and account settings), under a recorded procedure. Any other
--   root use bypasses the roles, permissions boundaries and approvals that
--   make actions attributable to a person.
-- remediation: >-
--   Match each use to an approved task (ticket, break-glass record). If
--   there is none, treat it as a possible compromise: rotate the root
--   password, check its MFA device, review CloudTrail for the root session.
--   Give people roles for everyday administration.
WITH report AS (
  SELECT *,
    greatest(password_last_used, access_key_1_last_used_date, access_key_2_last_used_date) AS last_use
  FROM credential_report_as_of(CAST($window_end AS TIMESTAMPTZ))
  WHERE is_root
)
SELECT
  account_id,
  CAST(NULL AS VARCHAR) AS region,
  user_name AS principal,
  arn AS resource,
  last_use AS first_seen,
  last_use AS last_seen,
  CAST(1 AS BIGINT) AS count,
  CAST([] AS VARCHAR[]) AS event_ids,
  list_filter([source_key], k -> k IS NOT NULL) AS source_objects,
  json_object(
    'report_generated_at', strftime(timezone('UTC', generated_at), '%Y-%m-%dT%H:%M:%SZ'),
    'recent_days', CAST($recent_days AS INTEGER),
    'password_last_used', coalesce(strftime(timezone('UTC', password_last_used), '%Y-%m-%dT%H:%M:%SZ'), password_last_used_raw),
    'access_key_1_last_used', coalesce(strftime(timezone('UTC', access_key_1_last_used_date), '%Y-%m-%dT%H:%M:%SZ'), access_key_1_last_used_date_raw),
    'access_key_2_last_used', coalesce(strftime(timezone('UTC', access_key_2_last_used_date), '%Y-%m-%dT%H:%M:%SZ'), access_key_2_last_used_date_raw),
    'mfa_active', mfa_active
  ) AS details
FROM report
WHERE last_use >= generated_at - to_days(CAST($recent_days AS INTEGER))
