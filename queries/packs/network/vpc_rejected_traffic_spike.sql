-- id: vpc_rejected_traffic_spike
-- title: Spike of rejected traffic on an interface
-- description: >-
--   In some hour of the window an interface logged at least min_flows
--   rejected flows and more than its baseline mean plus k standard
--   deviations. The baseline is the interface's rejected flows per hour over
--   the baseline_days before the window, counting every hour in which its
--   flow log recorded anything (quiet hours count as zero). An interface
--   without records before the window is judged on min_flows alone. One
--   finding per interface listing the spike hours (UTC).
-- severity: medium
-- sources: [vpc_flow]
-- params:
--   baseline_days: {default: 14, description: "days before the window from which the hourly baseline is learnt"}
--   k: {default: 5, description: "standard deviations above the hourly mean that make a spike"}
--   min_flows: {default: 30, description: "fewest rejected flows in one hour worth reporting"}
-- controls: {soc2: [CC7.2, CC7.3], iso27001: [A.8.16, A.8.20], cis_aws_v3: ["3.7"]}
-- why: >-
--   Every internet-facing interface sees a steady trickle of rejected probes.
--   A sudden jump against that interface's own history means someone is
--   targeting it (a scan, a brute force, a worm) or that a change broke
--   legitimate traffic; either way someone should look.
-- remediation: >-
--   Look at the sources and ports of the spike hours (details and
--   vpc_flow_enriched). Block persistent hostile sources with a network ACL
--   or AWS WAF, confirm that nothing from them was accepted, and if the
--   rejected traffic was legitimate, review the security group change that
--   caused it.
WITH params AS (
  SELECT
    CAST($window_start AS TIMESTAMPTZ) AS ws,
    CAST($window_end AS TIMESTAMPTZ) AS we,
    CAST($baseline_days AS INTEGER) AS bdays,
    CAST($k AS DOUBLE) AS k,
    CAST($min_flows AS BIGINT) AS min_flows
), hourly AS (
  SELECT f.account_id, f.interface_id, to_timestamp((epoch_us(f.start_time) // 3600000000) * 3600) AS hour,
    any_value(coalesce(f.region, f.key_region)) AS region,
    count(*) FILTER (WHERE f.action = 'REJECT') AS rejected,
    count(DISTINCT f.src_ip) FILTER (WHERE f.action = 'REJECT') AS sources,
    count(DISTINCT f.dstport) FILTER (WHERE f.action = 'REJECT') AS ports,
    list(DISTINCT f.source_key) FILTER (WHERE f.action = 'REJECT' AND f.source_key IS NOT NULL) AS keys
  FROM (SELECT *, coalesce(pkt_srcaddr, srcaddr) AS src_ip FROM vpc_flow) f, params p
  WHERE f.start_time >= p.ws - to_days(p.bdays)
    AND f.start_time < p.we
  GROUP BY f.account_id, f.interface_id, epoch_us(f.start_time) // 3600000000
), baseline AS (
  SELECT h.account_id, h.interface_id,
    count(*) AS hours,
    sum(h.rejected) / count(*) AS mean,
    sqrt(greatest(sum(h.rejected * h.rejected) / count(*) - pow(sum(h.rejected) / count(*), 2), 0)) AS stddev
  FROM hourly h, params p
  WHERE h.hour < p.ws
  GROUP BY h.account_id, h.interface_id
), spikes AS (
  SELECT h.*, b.hours AS baseline_hours, b.mean, b.stddev, p.k, p.min_flows, p.bdays,
    coalesce(b.mean + p.k * b.stddev, 0) AS threshold
  FROM hourly h
  LEFT JOIN baseline b USING (account_id, interface_id)
  CROSS JOIN params p
  WHERE h.hour >= p.ws
    AND h.rejected >= p.min_flows
    AND h.rejected > coalesce(b.mean + p.k * b.stddev, 0)
)
SELECT
  account_id,
  any_value(region) AS region,
  CAST(NULL AS VARCHAR) AS principal,
  interface_id AS resource,
  min(hour) AS first_seen,
  max(hour) + INTERVAL 1 HOUR AS last_seen,
  CAST(sum(rejected) AS BIGINT) AS count,
  CAST([] AS VARCHAR[]) AS event_ids,
  coalesce(list_sort(list_distinct(flatten(list(keys)))), CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'hours', list(json_object(
      'hour', strftime(timezone('UTC', hour), '%Y-%m-%dT%H:00:00Z'),
      'rejected', rejected, 'sources', sources, 'ports', ports) ORDER BY hour),
    'baseline', json_object(
      'days', any_value(bdays),
      'hours_observed', coalesce(any_value(baseline_hours), 0),
      'mean_per_hour', round(coalesce(any_value(mean), 0), 2),
      'stddev', round(coalesce(any_value(stddev), 0), 2),
      'k', any_value(k),
      'threshold', round(any_value(threshold), 2),
      'min_flows', any_value(min_flows))
  ) AS details
FROM spikes
GROUP BY account_id, interface_id
