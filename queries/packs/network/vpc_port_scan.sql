-- id: vpc_port_scan
-- title: Port scan from an internet address
-- description: >-
--   A public address sent rejected flows to at least min_ports distinct
--   destination ports, or to min_hosts distinct addresses, of one account
--   within one hour (UTC) of the window. One finding per account and source
--   address; details give the scale of the scan and whether any of its
--   flows were accepted.
-- severity: medium
-- sources: [vpc_flow]
-- params:
--   min_ports: {default: 25, description: "distinct destination ports rejected within one hour that make a scan"}
--   min_hosts: {default: 20, description: "distinct destination addresses rejected within one hour that make a sweep"}
-- controls: {soc2: [CC7.2, CC6.6], iso27001: [A.8.16, A.8.20], cis_aws_v3: ["3.7"]}
-- why: >-
--   Scans map what is reachable before an attack. Most are blocked, as the
--   rejections show, but the finding records that the environment was
--   probed, by whom, and whether any probe reached an open port (accepted
--   flows from the same address), which is the part that needs follow-up.
-- remediation: >-
--   Check the accepted flows from the address and the services they reached;
--   make sure those are meant to be public and patched. Block the address at
--   a network ACL or WAF if it persists, and keep security groups limited to
--   the ports each service needs.
WITH params AS (
  SELECT
    CAST($window_start AS TIMESTAMPTZ) AS ws,
    CAST($window_end AS TIMESTAMPTZ) AS we,
    CAST($min_ports AS BIGINT) AS min_ports,
    CAST($min_hosts AS BIGINT) AS min_hosts
), flows AS (
  SELECT f.account_id, coalesce(f.region, f.key_region) AS region,
    coalesce(f.pkt_srcaddr, f.srcaddr) AS src_ip, coalesce(f.pkt_dstaddr, f.dstaddr) AS dst_ip,
    f.dstport, f.interface_id, f.action, f.start_time, f.end_time, f.source_key,
    epoch_us(f.start_time) // 3600000000 AS hr
  FROM vpc_flow f, params p
  WHERE f.start_time >= p.ws
    AND f.start_time < p.we
    AND f.log_status = 'OK'
    AND coalesce(f.flow_direction, 'ingress') = 'ingress'
), sources AS (
  -- Sources with enough rejected flows in some hour to be a scan.
  SELECT DISTINCT account_id, src_ip
  FROM (
    SELECT account_id, src_ip
    FROM flows
    WHERE action = 'REJECT'
    GROUP BY account_id, src_ip, hr
    HAVING count(*) >= least((SELECT min_ports FROM params), (SELECT min_hosts FROM params))
  )
), addrs AS MATERIALIZED (
  -- Classify only the addresses of candidate scans, not every record's.
  SELECT addr, coalesce(is_public_ip(addr), false) AS public
  FROM (
    SELECT src_ip AS addr FROM sources
    UNION
    SELECT f.dst_ip FROM flows f SEMI JOIN sources s ON s.account_id = f.account_id AND s.src_ip = f.src_ip
  )
), inbound AS (
  SELECT f.*, to_timestamp(f.hr * 3600) AS hour
  FROM flows f
  SEMI JOIN sources s ON s.account_id = f.account_id AND s.src_ip = f.src_ip
  JOIN addrs a ON a.addr = f.src_ip AND a.public
  JOIN addrs d ON d.addr = f.dst_ip AND NOT d.public
), hourly AS (
  SELECT account_id, src_ip, hour,
    count(DISTINCT dstport) FILTER (WHERE action = 'REJECT') AS ports,
    count(DISTINCT dst_ip) FILTER (WHERE action = 'REJECT') AS hosts
  FROM inbound
  GROUP BY account_id, src_ip, hour
), scanners AS (
  SELECT h.account_id, h.src_ip, list(h.hour ORDER BY h.hour) AS hours, max(h.ports) AS max_ports, max(h.hosts) AS max_hosts
  FROM hourly h, params p
  WHERE h.ports >= p.min_ports OR h.hosts >= p.min_hosts
  GROUP BY h.account_id, h.src_ip
)
SELECT
  i.account_id,
  any_value(i.region) AS region,
  CAST(NULL AS VARCHAR) AS principal,
  i.src_ip AS resource,
  min(i.start_time) AS first_seen,
  max(i.end_time) AS last_seen,
  count(*) AS count,
  CAST([] AS VARCHAR[]) AS event_ids,
  coalesce(list(DISTINCT i.source_key ORDER BY i.source_key) FILTER (WHERE i.source_key IS NOT NULL), CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'source', i.src_ip,
    'scan_hours', list_transform(any_value(s.hours), h -> strftime(timezone('UTC', h), '%Y-%m-%dT%H:00:00Z')),
    'rejected_flows', count(*) FILTER (WHERE i.action = 'REJECT'),
    'accepted_flows', count(*) FILTER (WHERE i.action = 'ACCEPT'),
    'distinct_ports', count(DISTINCT i.dstport),
    'distinct_hosts', count(DISTINCT i.dst_ip),
    'interfaces', count(DISTINCT i.interface_id),
    'max_ports_in_an_hour', any_value(s.max_ports),
    'max_hosts_in_an_hour', any_value(s.max_hosts),
    'accepted_ports', coalesce(list_sort(list(DISTINCT i.dstport) FILTER (WHERE i.action = 'ACCEPT')), [])
  ) AS details
FROM inbound i
JOIN scanners s USING (account_id, src_ip)
GROUP BY i.account_id, i.src_ip
