-- id: ct_security_group_open_to_world
-- title: Security group ingress opened to the whole internet
-- description: >-
--   A successful AuthorizeSecurityGroupIngress call added a rule allowing
--   traffic from 0.0.0.0/0 or ::/0. Rules from narrower ranges (such as
--   10.0.0.0/8), from other security groups or from prefix lists are not
--   findings. One finding per account, region, principal and group; details
--   list the rules and whether they cover an administration port.
-- severity: high
-- sources: [cloudtrail]
-- params:
--   admin_ports: {default: "22,3389", description: "comma-separated ports flagged as administration ports in details"}
-- controls: {soc2: [CC6.6, CC6.1], iso27001: [A.8.20, A.8.22], cis_aws_v3: ["5.2", "5.3", "4.10"]}
-- why: >-
--   A rule open to the whole internet exposes whatever listens behind it to
--   every scanner within minutes; on an administration port (SSH, RDP) it
--   invites password guessing and exploits against the service itself.
-- remediation: >-
--   Narrow the rule to the addresses that need it (a VPN or office range),
--   or put the service behind a load balancer or Session Manager instead of
--   opening administration ports. If the rule is meant to be public (a web
--   server on 443), record that decision.
WITH calls AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    aws_region AS region,
    principal,
    request_parameters AS rp,
    event_time, event_id, source_key
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name = 'AuthorizeSecurityGroupIngress'
    AND error_code IS NULL
),
perms AS (
  SELECT account_id, region, principal, rp, event_time, event_id, source_key,
    unnest(coalesce(CAST(rp->'$.ipPermissions.items' AS JSON[]), [])) AS perm
  FROM calls
),
rules AS (
  SELECT account_id, region, principal, rp, event_time, event_id, source_key,
    perm->>'$.ipProtocol' AS protocol,
    TRY_CAST(perm->>'$.fromPort' AS INTEGER) AS from_port,
    TRY_CAST(perm->>'$.toPort' AS INTEGER) AS to_port,
    unnest(list_concat(
      coalesce(json_extract_string(perm, '$.ipRanges.items[*].cidrIp'), []),
      coalesce(json_extract_string(perm, '$.ipv6Ranges.items[*].cidrIpv6'), []))) AS cidr
  FROM perms
  UNION ALL
  -- the older form: one rule in top-level parameters
  SELECT account_id, region, principal, rp, event_time, event_id, source_key,
    rp->>'$.ipProtocol', TRY_CAST(rp->>'$.fromPort' AS INTEGER), TRY_CAST(rp->>'$.toPort' AS INTEGER), rp->>'$.cidrIp'
  FROM calls
  WHERE (rp->>'$.cidrIp') IS NOT NULL
),
open AS (
  SELECT *,
    protocol IN ('-1', 'all') AS all_ports,
    list_filter(
      list_transform(string_split($admin_ports, ','), p -> TRY_CAST(trim(p) AS INTEGER)),
      p -> p IS NOT NULL AND (protocol IN ('-1', 'all') OR (protocol IN ('tcp', '6') AND p BETWEEN from_port AND to_port))
    ) AS admin
  FROM rules
  WHERE cidr IN ('0.0.0.0/0', '::/0')
)
SELECT
  account_id,
  region,
  principal,
  coalesce(rp->>'$.groupId', rp->>'$.groupName') AS resource,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  count(DISTINCT event_id) AS count,
  list(DISTINCT event_id ORDER BY event_id) AS event_ids,
  coalesce(list(DISTINCT source_key ORDER BY source_key) FILTER (WHERE source_key IS NOT NULL), []) AS source_objects,
  json_object(
    'rules', to_json(list(DISTINCT {'protocol': protocol, 'from_port': from_port, 'to_port': to_port, 'cidr': cidr, 'all_ports': all_ports, 'admin_ports': admin}
      ORDER BY {'protocol': protocol, 'from_port': from_port, 'to_port': to_port, 'cidr': cidr, 'all_ports': all_ports, 'admin_ports': admin})),
    'admin_ports_exposed', bool_or(len(admin) > 0)
  ) AS details
FROM open
GROUP BY account_id, region, principal, resource
