-- id: ct_iam_policy_change
-- title: IAM policy changed
-- description: >-
--   An IAM policy was created, changed, deleted, attached or detached, or an
--   inline policy was put or deleted (the API calls of the CIS 4.4 metric
--   filter). One finding per account, principal and policy.
-- severity: medium
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.3, CC8.1], iso27001: [A.5.15, A.5.18, A.8.2], cis_aws_v3: ["4.4"]}
-- why: >-
--   Policies decide what every identity may do; a changed or newly attached
--   policy is the shortest path to privilege escalation, and a deleted one
--   can break a control. Each change should trace back to an approved
--   request.
-- remediation: >-
--   Check each change against the change record or the infrastructure-as-
--   code history. Revert what was not approved, and make IAM changes go
--   through the deployment pipeline rather than the console.
WITH
-- Select the rows on typed columns first, then read the JSON columns of those
-- rows only (DuckDB fetches them by rowid instead of scanning every row's).
hits AS (
  SELECT rowid AS r
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name IN (
      'DeleteGroupPolicy', 'DeleteRolePolicy', 'DeleteUserPolicy', 'PutGroupPolicy',
      'PutRolePolicy', 'PutUserPolicy', 'CreatePolicy', 'DeletePolicy',
      'CreatePolicyVersion', 'DeletePolicyVersion', 'AttachRolePolicy', 'DetachRolePolicy',
      'AttachUserPolicy', 'DetachUserPolicy', 'AttachGroupPolicy', 'DetachGroupPolicy')
),
events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    aws_region AS region,
    principal,
    coalesce(request_parameters->>'$.policyArn', response_elements->>'$.policy.arn',
      concat_ws(':', coalesce('role/' || (request_parameters->>'$.roleName'), 'user/' || (request_parameters->>'$.userName'), 'group/' || (request_parameters->>'$.groupName')), request_parameters->>'$.policyName')) AS resource,
    event_time, event_id, event_name, error_code, source_ip_address, source_key,
    coalesce('role/' || (request_parameters->>'$.roleName'), 'user/' || (request_parameters->>'$.userName'), 'group/' || (request_parameters->>'$.groupName')) AS target
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
    'attached_to', coalesce(list(DISTINCT target ORDER BY target) FILTER (WHERE target IS NOT NULL), [])
  ) AS details
FROM events
GROUP BY account_id, region, principal, resource
