-- id: ct_console_login_failures
-- title: Failed console sign-ins
-- description: >-
--   Console sign-ins failed authentication (the CIS 4.6 metric filter:
--   ConsoleLogin with errorMessage "Failed authentication"; a failed
--   sign-in has no errorCode). One finding per account and user name tried,
--   when at least min_failures failures happened in the window.
-- severity: medium
-- sources: [cloudtrail]
-- params:
--   min_failures: {default: 1, description: "fewest failed sign-ins per account and user that make a finding (CIS: 1)"}
-- controls: {soc2: [CC6.1, CC7.2], iso27001: [A.8.5, A.8.16], cis_aws_v3: ["4.6"]}
-- why: >-
--   Repeated failures for one user, or failures from many addresses, are how
--   password guessing and credential stuffing look from the inside, and a
--   success after them is the moment an account is taken over.
-- remediation: >-
--   Check with the user whether the failures were theirs. If not, look for a
--   successful sign-in from the same addresses (details list them and
--   whether a later sign-in succeeded), reset the password and make sure MFA
--   is on.
WITH failures AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    principal, identity_arn,
    event_time, event_id, source_ip_address, source_key
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name = 'ConsoleLogin'
    AND error_message = 'Failed authentication'
),
grouped AS (
  SELECT
    account_id,
    principal,
    any_value(identity_arn ORDER BY event_time) AS resource,
    min(event_time) AS first_seen,
    max(event_time) AS last_seen,
    count(*) AS count,
    list(event_id ORDER BY event_time, event_id) AS event_ids,
    coalesce(list(DISTINCT source_key ORDER BY source_key) FILTER (WHERE source_key IS NOT NULL), []) AS source_objects,
    coalesce(list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL), []) AS source_ips
  FROM failures
  GROUP BY account_id, principal
  HAVING count(*) >= $min_failures
)
SELECT
  g.account_id,
  CAST(NULL AS VARCHAR) AS region,
  g.principal,
  g.resource,
  g.first_seen,
  g.last_seen,
  g.count,
  g.event_ids,
  g.source_objects,
  json_object(
    'source_ips', g.source_ips,
    'success_after_failures', EXISTS (
      SELECT 1 FROM cloudtrail s
      WHERE s.event_time >= g.first_seen AND s.event_time < $window_end
        AND s.event_name = 'ConsoleLogin'
        AND (s.response_elements->>'$.ConsoleLogin') = 'Success'
        AND s.principal IS NOT DISTINCT FROM g.principal
        AND coalesce(s.recipient_account_id, s.identity_account_id) = g.account_id)
  ) AS details
FROM grouped g
