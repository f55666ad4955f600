-- id: iam_user_console_without_mfa
-- title: IAM user with a console password and no MFA
-- description: An IAM user can sign in to the console with a password but has no MFA device, according to the latest credential report at or before the end of the window.
-- severity: high
-- sources: [credential_report]
-- params: {}
-- controls: {soc2: [CC6.1], iso27001: [A.5.17, A.8.5], cis_aws_v3: ["1.10"]}
-- why: >-
--   A console password alone falls to phishing, reuse from another breach
--   or guessing; the console then gives whatever the user's policies allow.
--   MFA is the control that turns a stolen password into a failed sign-in.
-- remediation: >-
--   Ask the user to register an MFA device (or do it with them), and
--   attach a policy that denies everything but MFA self-service when
--   aws:MultiFactorAuthPresent is false. Remove the console password of
--   users who do not need the console; prefer IAM Identity Center, where
--   the identity provider enforces MFA.
WITH report AS (
  SELECT * FROM credential_report_as_of(CAST($window_end AS TIMESTAMPTZ))
)
SELECT
  account_id,
  CAST(NULL AS VARCHAR) AS region,
  user_name AS principal,
  arn AS resource,
  generated_at AS first_seen,
  generated_at AS last_seen,
  CAST(1 AS BIGINT) AS count,
  CAST([] AS VARCHAR[]) AS event_ids,
  list_filter([source_key], k -> k IS NOT NULL) AS source_objects,
  json_object(
    'report_generated_at', strftime(timezone('UTC', generated_at), '%Y-%m-%dT%H:%M:%SZ'),
    'password_enabled', password_enabled,
    'mfa_active', mfa_active,
    'password_last_used', coalesce(strftime(timezone('UTC', password_last_used), '%Y-%m-%dT%H:%M:%SZ'), password_last_used_raw),
    'password_last_changed', coalesce(strftime(timezone('UTC', password_last_changed), '%Y-%m-%dT%H:%M:%SZ'), password_last_changed_raw)
  ) AS details
FROM report
WHERE NOT coalesce(is_root, false)
  AND coalesce(password_enabled, false)
  AND NOT coalesce(mfa_active, false)
