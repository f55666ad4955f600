-- id: ct_console_login_without_mfa
-- title: Console sign-in without MFA
-- description: >-
--   An IAM user signed in to the console successfully without MFA (the CIS
--   4.2 metric filter: ConsoleLogin by an IAMUser, response Success,
--   MFAUsed other than Yes). One finding per account and user.
-- severity: high
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.1], iso27001: [A.8.5, A.5.17], cis_aws_v3: ["4.2", "1.10"]}
-- why: >-
--   A password alone is what phishing and credential stuffing steal. A
--   console session opened without a second factor could have been opened
--   by anyone who had the password, so each one is an access the control
--   did not protect.
-- remediation: >-
--   Enable MFA for the user (or remove the console password if the user
--   does not need the console), and deny actions without
--   aws:MultiFactorAuthPresent. Prefer IAM Identity Center, where the
--   identity provider enforces MFA; if the sign-in was unexpected, treat the
--   password as compromised.
WITH events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    principal, identity_arn,
    event_time, event_id, aws_region, source_ip_address, user_agent, source_key,
    additional_event_data->>'$.MFAUsed' AS mfa_used
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name = 'ConsoleLogin'
    AND identity_type = 'IAMUser'
    AND (response_elements->>'$.ConsoleLogin') = 'Success'
    AND (additional_event_data->>'$.MFAUsed') IS DISTINCT FROM 'Yes'
)
SELECT
  account_id,
  CAST(NULL AS VARCHAR) AS region,
  principal,
  any_value(identity_arn ORDER BY event_time) AS resource,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  count(*) AS count,
  list(event_id ORDER BY event_time, event_id) AS event_ids,
  coalesce(list(DISTINCT source_key ORDER BY source_key) FILTER (WHERE source_key IS NOT NULL), []) AS source_objects,
  json_object(
    'mfa_used', list(DISTINCT coalesce(mfa_used, '(absent)') ORDER BY coalesce(mfa_used, '(absent)')),
    'source_ips', coalesce(list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL), []),
    'user_agents', coalesce(list(DISTINCT user_agent ORDER BY user_agent) FILTER (WHERE user_agent IS NOT NULL), [])
  ) AS details
FROM events
GROUP BY account_id, principal
