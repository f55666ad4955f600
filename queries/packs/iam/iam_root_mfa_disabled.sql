-- id: iam_root_mfa_disabled
-- title: Root user without MFA
-- description: The account's root user has no MFA device, according to the latest credential report at or before the end of the window.
-- severity: critical
-- sources: [credential_report]
-- params: {}
-- controls: {soc2: [CC6.1], iso27001: [A.5.17, A.8.5], cis_aws_v3: ["1.5"]}
-- why: >-
--   The root user can do anything in the account, including closing it and
--   changing its billing and support settings, and no policy can restrict
--   it. Without MFA a leaked or guessed password is enough to take the
--   account over.
-- remediation: >-
--   Sign in as root and assign an MFA device (a hardware key or passkey for
--   production and management accounts), keep it in a safe with a named
--   custodian, and re-run the credential report to confirm mfa_active is
--   true. In an organisation, consider removing member accounts' root
--   credentials altogether with centralised root access.
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
    'mfa_active', mfa_active,
    'password_last_used', password_last_used_raw
  ) AS details
FROM report
WHERE is_root AND NOT coalesce(mfa_active, false)
