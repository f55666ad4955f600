-- id: ct_unauthorized_api_calls
-- title: API calls refused for lack of permission
-- description: >-
--   API calls failed with an error code ending in UnauthorizedOperation or
--   starting with AccessDenied, other than calls from
--   delivery.logs.amazonaws.com and HeadBucket (the CIS 4.1 metric filter).
--   One finding per account and principal with at least min_calls refused
--   calls in the window.
-- severity: medium
-- sources: [cloudtrail]
-- params:
--   min_calls: {default: 1, description: "fewest refused calls per account and principal that make a finding (CIS: 1)"}
-- controls: {soc2: [CC6.1, CC7.2], iso27001: [A.8.16, A.5.15], cis_aws_v3: ["4.1"]}
-- why: >-
--   A run of refused calls is what an intruder probing stolen credentials
--   looks like, and also what a broken deployment or a too-narrow policy
--   looks like. Either way someone should look: the first is an incident,
--   the others hide real signals in noise.
-- remediation: >-
--   Look at which calls were refused (details list them) and whether the
--   principal normally makes them. Unexpected probing (List*, Describe*,
--   Get* across services) calls for rotating the principal's credentials;
--   expected calls call for fixing the policy or the code.
WITH refused AS MATERIALIZED (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    principal,
    coalesce(session_issuer_arn, identity_arn) AS arn,
    event_time, event_id, event_source, event_name, error_code, aws_region, source_ip_address, source_key
  FROM cloudtrail
  -- error_code IS NOT NULL is applied in the scan: only the few failed
  -- calls' other columns are read
  WHERE event_time >= $window_start AND event_time < $window_end
    AND error_code IS NOT NULL
    AND (error_code LIKE '%UnauthorizedOperation' OR error_code LIKE 'AccessDenied%')
    AND source_ip_address IS DISTINCT FROM 'delivery.logs.amazonaws.com'
    AND event_name IS DISTINCT FROM 'HeadBucket'
),
calls AS (
  SELECT account_id, principal,
    list({'api': split_part(event_source, '.', 1) || ':' || event_name, 'calls': n} ORDER BY n DESC, event_source, event_name) AS apis
  FROM (
    SELECT account_id, principal, event_source, event_name, count(*) AS n
    FROM refused
    GROUP BY ALL
  )
  GROUP BY ALL
)
SELECT
  r.account_id,
  CAST(NULL AS VARCHAR) AS region,
  r.principal,
  any_value(r.arn ORDER BY r.event_time) AS resource,
  min(r.event_time) AS first_seen,
  max(r.event_time) AS last_seen,
  count(*) AS count,
  list(r.event_id ORDER BY r.event_time, r.event_id) AS event_ids,
  coalesce(list(DISTINCT r.source_key ORDER BY r.source_key) FILTER (WHERE r.source_key IS NOT NULL), []) AS source_objects,
  json_object(
    'apis', to_json(any_value(c.apis)[1:20]),
    'distinct_apis', len(any_value(c.apis)),
    'error_codes', list(DISTINCT r.error_code ORDER BY r.error_code),
    'regions', coalesce(list(DISTINCT r.aws_region ORDER BY r.aws_region) FILTER (WHERE r.aws_region IS NOT NULL), []),
    'source_ips', coalesce(list(DISTINCT r.source_ip_address ORDER BY r.source_ip_address) FILTER (WHERE r.source_ip_address IS NOT NULL), [])
  ) AS details
FROM refused r
JOIN calls c ON c.account_id IS NOT DISTINCT FROM r.account_id AND c.principal IS NOT DISTINCT FROM r.principal
GROUP BY r.account_id, r.principal
HAVING count(*) >= $min_calls
