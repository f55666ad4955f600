-- id: vpc_large_egress
-- title: Large transfer to one external address
-- description: >-
--   An interface sent, on one day of the window, at least min_bytes to a
--   single public address and more than multiplier times its own average
--   daily egress to the internet over the baseline_days before the window
--   (days with traffic only). An interface with no traffic in the baseline
--   period is judged on min_bytes alone. Outbound means accepted flows from
--   the interface's private address to a public one (flow-direction egress
--   when the log has it). Days are UTC. One finding per interface and
--   destination; details give each day's bytes and the baseline.
-- severity: high
-- sources: [vpc_flow]
-- params:
--   baseline_days: {default: 14, description: "days before the window from which the interface's usual daily egress is learnt"}
--   multiplier: {default: 10, description: "a day's bytes to one address must exceed this multiple of the interface's average daily egress"}
--   min_bytes: {default: 1000000000, description: "smallest daily transfer to one address worth reporting (bytes)"}
-- controls: {soc2: [CC7.2, CC6.7], iso27001: [A.8.16, A.8.12], cis_aws_v3: ["3.7"]}
-- why: >-
--   Data theft ends with data leaving the network. A server that usually
--   sends megabytes suddenly sending gigabytes to one address it does not
--   normally talk to is the clearest network sign of exfiltration, and often
--   the only one when the attacker used valid credentials.
-- remediation: >-
--   Identify the process and data behind the transfer (instance, time,
--   destination port in details; the host's logs and CloudTrail for the same
--   period). If it is not a known job, isolate the instance, rotate the
--   credentials it holds and assess what left. Restrict egress with security
--   groups, a proxy or Network Firewall allow-lists.
WITH params AS (
  SELECT
    CAST($window_start AS TIMESTAMPTZ) AS ws,
    CAST($window_end AS TIMESTAMPTZ) AS we,
    CAST($baseline_days AS INTEGER) AS bdays,
    CAST($multiplier AS DOUBLE) AS mult,
    CAST($min_bytes AS BIGINT) AS min_bytes
), flows AS (
  SELECT f.account_id, f.interface_id, coalesce(f.region, f.key_region) AS region, f.instance_id,
    coalesce(f.pkt_srcaddr, f.srcaddr) AS src_ip, coalesce(f.pkt_dstaddr, f.dstaddr) AS dst_ip,
    f.dstport, f.start_time, f.end_time, f.bytes, f.packets, f.source_key,
    epoch_us(f.start_time) // 86400000000 AS dnum,
    f.start_time >= p.ws AS in_window
  FROM vpc_flow f, params p
  WHERE f.start_time >= p.ws - to_days(p.bdays)
    AND f.start_time < p.we
    AND f.log_status = 'OK'
    AND f.action = 'ACCEPT'
    AND coalesce(f.flow_direction, 'egress') = 'egress'
    -- cheap pre-filter: the common private destinations can never be egress
    AND NOT starts_with(coalesce(f.pkt_dstaddr, f.dstaddr), '10.')
    AND NOT starts_with(coalesce(f.pkt_dstaddr, f.dstaddr), '192.168.')
), pairs AS MATERIALIZED (
  -- Per interface, address pair and UTC day: far fewer rows than flows, so
  -- addresses are classified once per pair, not once per record.
  SELECT account_id, interface_id, src_ip, dst_ip, dnum, in_window,
    any_value(region) AS region, any_value(instance_id) AS instance_id,
    min(start_time) AS first_seen, max(end_time) AS last_seen,
    count(*) AS flows, sum(bytes) AS bytes, sum(packets) AS packets
  FROM flows
  GROUP BY account_id, interface_id, src_ip, dst_ip, dnum, in_window
), addrs AS MATERIALIZED (
  SELECT addr, coalesce(is_public_ip(addr), false) AS public
  FROM (SELECT src_ip AS addr FROM pairs UNION SELECT dst_ip FROM pairs)
), egress AS (
  -- From the interface's private side to a public address.
  SELECT x.*
  FROM pairs x
  JOIN addrs d ON d.addr = x.dst_ip AND d.public
  JOIN addrs s ON s.addr = x.src_ip AND NOT s.public
), baseline AS (
  SELECT account_id, interface_id,
    sum(bytes) AS bytes,
    count(DISTINCT dnum) AS days
  FROM egress
  WHERE NOT in_window
  GROUP BY account_id, interface_id
), daily AS (
  SELECT account_id, interface_id, dst_ip, dnum,
    any_value(region) AS region, any_value(instance_id) AS instance_id, any_value(src_ip) AS src_ip,
    min(first_seen) AS first_seen, max(last_seen) AS last_seen,
    sum(flows) AS flows, sum(bytes) AS bytes, sum(packets) AS packets
  FROM egress
  WHERE in_window
  GROUP BY account_id, interface_id, dst_ip, dnum
), flagged AS (
  SELECT d.*,
    b.days AS baseline_days_with_traffic,
    CAST(b.bytes / b.days AS BIGINT) AS baseline_daily_bytes,
    p.mult, p.min_bytes, p.bdays
  FROM daily d
  LEFT JOIN baseline b USING (account_id, interface_id)
  CROSS JOIN params p
  WHERE d.bytes >= p.min_bytes
    AND (b.days IS NULL OR d.bytes > p.mult * b.bytes / b.days)
), keys AS (
  -- The objects that delivered the flagged transfers, and their ports.
  SELECT f.account_id, f.interface_id, f.dst_ip,
    list(DISTINCT f.source_key ORDER BY f.source_key) FILTER (WHERE f.source_key IS NOT NULL) AS keys,
    list(DISTINCT f.dstport ORDER BY f.dstport) AS ports
  FROM flows f
  SEMI JOIN flagged g ON g.account_id = f.account_id AND g.interface_id = f.interface_id AND g.dst_ip = f.dst_ip AND g.dnum = f.dnum
  WHERE f.in_window
  GROUP BY f.account_id, f.interface_id, f.dst_ip
)
SELECT
  g.account_id,
  any_value(g.region) AS region,
  CAST(NULL AS VARCHAR) AS principal,
  g.interface_id || ' -> ' || g.dst_ip AS resource,
  min(g.first_seen) AS first_seen,
  max(g.last_seen) AS last_seen,
  CAST(sum(g.flows) AS BIGINT) AS count,
  CAST([] AS VARCHAR[]) AS event_ids,
  coalesce(any_value(k.keys), CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'interface_id', g.interface_id,
    'instance_id', any_value(g.instance_id),
    'source_address', any_value(g.src_ip),
    'destination', g.dst_ip,
    'destination_ports', any_value(k.ports),
    'bytes', sum(g.bytes),
    'packets', sum(g.packets),
    'days', list(json_object('day', strftime(timezone('UTC', to_timestamp(g.dnum * 86400)), '%Y-%m-%d'), 'bytes', g.bytes, 'flows', g.flows) ORDER BY g.dnum),
    'baseline', json_object(
      'days', any_value(g.bdays),
      'days_with_traffic', coalesce(any_value(g.baseline_days_with_traffic), 0),
      'daily_mean_bytes', any_value(g.baseline_daily_bytes),
      'multiplier', any_value(g.mult),
      'min_bytes', any_value(g.min_bytes),
      'explanation', CASE WHEN any_value(g.baseline_days_with_traffic) IS NULL
        THEN 'no egress from this interface in the baseline period: judged on min_bytes alone'
        ELSE 'daily bytes to this address above multiplier x the interface''s average daily internet egress before the window' END)
  ) AS details
FROM flagged g
LEFT JOIN keys k USING (account_id, interface_id, dst_ip)
GROUP BY g.account_id, g.interface_id, g.dst_ip
