-- id: cfg_security_group_open_to_world
-- title: Security group open to the internet on admin ports or all ports
-- description: >-
--   A security group had an inbound rule from 0.0.0.0/0 or ::/0 to an
--   administration port (admin_ports, default SSH 22 and RDP 3389) or to all
--   ports/protocols, in any version in force during the window. Rules from
--   private ranges such as 10.0.0.0/8 and rules for other single ports (443
--   on a load balancer) are not reported.
-- severity: high
-- sources: [config_items]
-- params:
--   admin_ports: {default: "22,3389", description: "comma-separated ports that must never be open to the internet"}
-- controls: {soc2: [CC6.6, CC6.1], iso27001: [A.8.20, A.8.22], cis_aws_v3: ["5.2", "5.3"]}
-- why: >-
--   SSH and RDP reachable from anywhere are scanned within minutes of being
--   opened and are a common first step of intrusions (password guessing,
--   exploited daemons). An all-ports rule exposes every service on the host,
--   including ones never meant to leave the VPC.
-- remediation: >-
--   Remove the rule. Reach hosts through SSM Session Manager, a VPN or a
--   bastion that only accepts the VPN range, and if a vendor needs access,
--   allow their fixed addresses for a limited time. Guard against recurrence
--   with an SCP or AWS Config rule (restricted-ssh, restricted-common-ports).
WITH versions AS (
  SELECT * FROM config_state_at(CAST($window_start AS TIMESTAMPTZ))
  WHERE resource_type = 'AWS::EC2::SecurityGroup'
  UNION ALL
  SELECT * FROM config_items
  WHERE resource_type = 'AWS::EC2::SecurityGroup'
    AND capture_time > CAST($window_start AS TIMESTAMPTZ)
    AND capture_time < CAST($window_end AS TIMESTAMPTZ)
), ranked AS (
  SELECT *,
    row_number() OVER (PARTITION BY account_id, region, resource_id
      ORDER BY capture_time DESC, state_id DESC NULLS LAST, source_key) = 1 AS is_latest
  FROM versions
), perms AS (
  SELECT account_id, region, resource_id, resource_name, capture_time, state_id, state_id_text, related_events, source_key, is_latest,
    configuration->>'$.groupName' AS group_name,
    configuration->>'$.vpcId' AS vpc_id,
    unnest(TRY_CAST(configuration->'$.ipPermissions' AS JSON[])) AS perm
  FROM ranked
  WHERE NOT coalesce(status IN ('ResourceDeleted', 'ResourceDeletedNotRecorded'), false)
), rules AS (
  SELECT * EXCLUDE (perm),
    lower(perm->>'$.ipProtocol') AS protocol,
    TRY_CAST(perm->>'$.fromPort' AS INTEGER) AS from_port,
    TRY_CAST(perm->>'$.toPort' AS INTEGER) AS to_port,
    unnest(list_distinct(list_concat(
      coalesce(json_extract_string(perm, '$.ipv4Ranges[*].cidrIp'), []),
      coalesce(json_extract_string(perm, '$.ipRanges[*].cidrIp'), []),
      coalesce(json_extract_string(perm, '$.ipRanges[*]'), []),
      coalesce(json_extract_string(perm, '$.ipv6Ranges[*].cidrIpv6'), [])))) AS cidr
  FROM perms
), open_rules AS (
  SELECT *,
    protocol IN ('-1', 'all') OR (protocol IN ('tcp', 'udp', '6', '17') AND coalesce(from_port, 0) <= 0 AND coalesce(to_port, 65535) >= 65535) AS all_ports,
    list_filter(
      list_transform(string_split(CAST($admin_ports AS VARCHAR), ','), p -> TRY_CAST(trim(p) AS INTEGER)),
      p -> p IS NOT NULL AND (protocol IN ('-1', 'all')
        OR (protocol IN ('tcp', 'udp', '6', '17') AND p BETWEEN coalesce(from_port, 0) AND coalesce(to_port, 65535)))) AS admin_ports_hit
  FROM rules
  WHERE cidr IN ('0.0.0.0/0', '::/0')
), findings AS (
  SELECT * FROM open_rules WHERE all_ports OR len(admin_ports_hit) > 0
)
SELECT
  account_id,
  region,
  CAST(NULL AS VARCHAR) AS principal,
  resource_id AS resource,
  min(capture_time) AS first_seen,
  max(capture_time) AS last_seen,
  count(DISTINCT (protocol, from_port, to_port, cidr)) AS count,
  coalesce(list(DISTINCT coalesce(CAST(state_id AS VARCHAR), state_id_text)) FILTER (WHERE coalesce(CAST(state_id AS VARCHAR), state_id_text) IS NOT NULL), CAST([] AS VARCHAR[])) AS event_ids,
  coalesce(list(DISTINCT source_key) FILTER (WHERE source_key IS NOT NULL), CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'evaluated', 'versions_during_window',
    'group_name', any_value(group_name),
    'vpc_id', any_value(vpc_id),
    'open_at_window_end', bool_or(is_latest),
    'rules', list_sort(list(DISTINCT json_object('protocol', protocol, 'from_port', from_port, 'to_port', to_port, 'cidr', cidr,
      'all_ports', all_ports, 'admin_ports', admin_ports_hit))),
    'related_cloudtrail_events', list_sort(list_distinct(flatten(list(coalesce(TRY_CAST(related_events AS VARCHAR[]), [])))))
  ) AS details
FROM findings
GROUP BY account_id, region, resource_id
