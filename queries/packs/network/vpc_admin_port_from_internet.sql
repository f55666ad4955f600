-- id: vpc_admin_port_from_internet
-- title: Administration port reached from the internet
-- description: >-
--   Accepted inbound flows from public addresses to an administration port
--   (admin_ports: SSH 22, RDP 3389, WinRM 5985/5986, Telnet 23, VNC 5900 by
--   default) on a network interface during the window. One finding per
--   interface, with the ports, how many distinct sources connected and the
--   bytes exchanged. Rejected attempts (the internet's constant probing) are
--   not findings; an accepted one means a security group or network ACL let
--   it through.
-- severity: high
-- sources: [vpc_flow]
-- params:
--   admin_ports: {default: "22,3389,5985,5986,23,5900", description: "comma-separated destination ports that must not accept connections from the internet"}
-- controls: {soc2: [CC6.6, CC7.2], iso27001: [A.8.20, A.8.16], cis_aws_v3: ["5.2", "5.3"]}
-- why: >-
--   A configuration finding says a door could be open; this says someone
--   walked through it. Accepted SSH or RDP sessions from unknown internet
--   addresses are how brute-forced or stolen credentials turn into a shell
--   on a host, and an auditor will ask who those sources were.
-- remediation: >-
--   Close the rule that allowed it (see cfg_security_group_open_to_world for
--   the group), then check the host: authentication logs for the listed
--   sources, new users and keys, running processes. Use SSM Session Manager
--   or a VPN instead of exposed admin ports.
WITH ports AS (
  SELECT list_filter(
    list_transform(string_split(CAST($admin_ports AS VARCHAR), ','), p -> TRY_CAST(trim(p) AS INTEGER)),
    p -> p IS NOT NULL) AS admin
), candidates AS (
  SELECT f.account_id, f.interface_id, coalesce(f.region, f.key_region) AS region, f.instance_id,
    coalesce(f.pkt_srcaddr, f.srcaddr) AS src_ip, coalesce(f.pkt_dstaddr, f.dstaddr) AS dst_ip,
    f.dstport, f.start_time, f.end_time, f.packets, f.bytes, f.source_key
  FROM vpc_flow f
  WHERE f.start_time >= CAST($window_start AS TIMESTAMPTZ)
    AND f.start_time < CAST($window_end AS TIMESTAMPTZ)
    AND f.log_status = 'OK'
    AND f.action = 'ACCEPT'
    AND f.protocol IN (6, 17)
    AND f.dstport IN (SELECT unnest(admin) FROM ports)
    AND coalesce(f.flow_direction, 'ingress') = 'ingress'
), addrs AS MATERIALIZED (
  SELECT addr, coalesce(is_public_ip(addr), false) AS public
  FROM (SELECT src_ip AS addr FROM candidates UNION SELECT dst_ip FROM candidates)
), flows AS (
  -- From a public address to the interface's private side.
  SELECT c.*
  FROM candidates c
  JOIN addrs s ON s.addr = c.src_ip AND s.public
  JOIN addrs d ON d.addr = c.dst_ip AND NOT d.public
), per_source AS (
  SELECT account_id, interface_id, src_ip,
    any_value(region) AS region,
    any_value(instance_id) AS instance_id,
    min(start_time) AS first_seen, max(end_time) AS last_seen,
    count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes,
    list(DISTINCT dstport) AS ports, list(DISTINCT dst_ip) AS dst_ips,
    list(DISTINCT source_key) FILTER (WHERE source_key IS NOT NULL) AS keys
  FROM flows
  GROUP BY account_id, interface_id, src_ip
)
SELECT
  account_id,
  any_value(region) AS region,
  CAST(NULL AS VARCHAR) AS principal,
  interface_id AS resource,
  min(first_seen) AS first_seen,
  max(last_seen) AS last_seen,
  CAST(sum(flows) AS BIGINT) AS count,
  CAST([] AS VARCHAR[]) AS event_ids,
  coalesce(list_sort(list_distinct(flatten(list(keys)))), CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'ports', list_sort(list_distinct(flatten(list(ports)))),
    'destination_addresses', list_sort(list_distinct(flatten(list(dst_ips)))),
    'instance_id', any_value(instance_id),
    'sources', count(*),
    'top_sources', (list(json_object('address', src_ip, 'flows', flows, 'bytes', bytes) ORDER BY bytes DESC, src_ip))[1:10],
    'flows', sum(flows),
    'packets', sum(packets),
    'bytes', sum(bytes)
  ) AS details
FROM per_source
GROUP BY account_id, interface_id
