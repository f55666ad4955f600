-- id: ct_vpc_change
-- title: VPC or VPC peering changed
-- description: >-
--   A VPC was created, deleted or had an attribute changed, or a peering
--   connection or ClassicLink was set up or removed (the API calls of the
--   CIS 4.14 metric filter). One finding per account, region, principal and
--   VPC or peering connection.
-- severity: low
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.6, CC8.1], iso27001: [A.8.20, A.8.22, A.8.32], cis_aws_v3: ["4.14"]}
-- why: >-
--   VPCs and peering connections define which networks can talk to each
--   other at all; a new peering can join an environment to one it must stay
--   apart from.
-- remediation: >-
--   Confirm each change was planned; review new peering connections (which
--   accounts and CIDRs they join) and the routes that use them, and delete
--   VPCs and peerings nobody owns.
WITH
-- Select the rows on typed columns first, then read the JSON columns of those
-- rows only (DuckDB fetches them by rowid instead of scanning every row's).
hits AS (
  SELECT rowid AS r
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name IN (
      'CreateVpc', 'DeleteVpc', 'ModifyVpcAttribute', 'AcceptVpcPeeringConnection',
      'CreateVpcPeeringConnection', 'DeleteVpcPeeringConnection', 'RejectVpcPeeringConnection', 'AttachClassicLinkVpc',
      'DetachClassicLinkVpc', 'DisableVpcClassicLink', 'EnableVpcClassicLink')
),
events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    aws_region AS region,
    principal,
    coalesce(request_parameters->>'$.vpcId', response_elements->>'$.vpc.vpcId', request_parameters->>'$.vpcPeeringConnectionId', response_elements->>'$.vpcPeeringConnection.vpcPeeringConnectionId') AS resource,
    event_time, event_id, event_name, error_code, source_ip_address, source_key
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
    'source_ips', coalesce(list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL), [])
  ) AS details
FROM events
GROUP BY account_id, region, principal, resource
