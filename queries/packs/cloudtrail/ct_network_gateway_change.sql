-- id: ct_network_gateway_change
-- title: Internet or customer gateway changed
-- description: >-
--   An internet gateway was created, attached, detached or deleted, or a
--   customer gateway was created or deleted (the API calls of the CIS 4.12
--   metric filter). One finding per account, region, principal and gateway.
-- severity: low
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.6, CC8.1], iso27001: [A.8.20, A.8.21, A.8.32], cis_aws_v3: ["4.12"]}
-- why: >-
--   Gateways are the doors between a VPC and the internet or an on-premises
--   network; a new or re-attached gateway can create a path for traffic that
--   nothing else controls.
-- remediation: >-
--   Confirm that each gateway change was planned and that the VPC it
--   concerns is meant to reach the internet or the remote network; remove
--   gateways nobody owns.
WITH
-- Select the rows on typed columns first, then read the JSON columns of those
-- rows only (DuckDB fetches them by rowid instead of scanning every row's).
hits AS (
  SELECT rowid AS r
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name IN (
      'CreateCustomerGateway', 'DeleteCustomerGateway', 'AttachInternetGateway', 'CreateInternetGateway',
      'DeleteInternetGateway', 'DetachInternetGateway')
),
events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    aws_region AS region,
    principal,
    coalesce(request_parameters->>'$.internetGatewayId', response_elements->>'$.internetGateway.internetGatewayId', request_parameters->>'$.customerGatewayId', response_elements->>'$.customerGateway.customerGatewayId') AS resource,
    event_time, event_id, event_name, error_code, source_ip_address, source_key,
    request_parameters->>'$.vpcId' AS vpc_id
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
    'vpc_ids', coalesce(list(DISTINCT vpc_id ORDER BY vpc_id) FILTER (WHERE vpc_id IS NOT NULL), [])
  ) AS details
FROM events
GROUP BY account_id, region, principal, resource
