-- id: ct_organizations_change
-- title: AWS Organizations changed
-- description: >-
--   The organisation, its accounts, organisational units, policies or
--   handshakes were changed (the API calls of the CIS 4.15 metric filter).
--   One finding per account, principal and organisation resource.
-- severity: high
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.3, CC8.1], iso27001: [A.5.15, A.8.2, A.8.32], cis_aws_v3: ["4.15"]}
-- why: >-
--   The organisation holds the guardrails of every account: service control
--   policies, which accounts belong, and who manages them. A detached policy
--   or an account that leaves the organisation loses all of them at once.
-- remediation: >-
--   Check each change against its change request; re-attach policies
--   detached without approval and find out why an account left or joined.
--   Keep the management account for organisation tasks only, with few people
--   able to use it.
WITH
-- Select the rows on typed columns first, then read the JSON columns of those
-- rows only (DuckDB fetches them by rowid instead of scanning every row's).
hits AS (
  SELECT rowid AS r
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name IN (
      'AcceptHandshake', 'AttachPolicy', 'CreateAccount', 'CreateOrganizationalUnit',
      'CreatePolicy', 'DeclineHandshake', 'DeleteOrganization', 'DeleteOrganizationalUnit',
      'DeletePolicy', 'DetachPolicy', 'DisablePolicyType', 'EnablePolicyType',
      'InviteAccountToOrganization', 'LeaveOrganization', 'MoveAccount', 'RemoveAccountFromOrganization',
      'UpdatePolicy', 'UpdateOrganizationalUnit')
    AND event_source = 'organizations.amazonaws.com'
),
events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    aws_region AS region,
    principal,
    coalesce(request_parameters->>'$.policyId', request_parameters->>'$.organizationalUnitId', request_parameters->>'$.accountId', request_parameters->>'$.handshakeId', response_elements->>'$.policy.policySummary.id', response_elements->>'$.organizationalUnit.id', response_elements->>'$.createAccountStatus.id', request_parameters->>'$.accountName', request_parameters->>'$.name') AS resource,
    event_time, event_id, event_name, error_code, source_ip_address, source_key,
    request_parameters->>'$.targetId' AS target_id
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
    'source_ips', coalesce(list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL), []),
    'target_ids', coalesce(list(DISTINCT target_id ORDER BY target_id) FILTER (WHERE target_id IS NOT NULL), [])
  ) AS details
FROM events
GROUP BY account_id, region, principal, resource
