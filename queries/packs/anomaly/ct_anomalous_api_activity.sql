-- id: ct_anomalous_api_activity
-- title: Anomalous API activity for a principal
-- description: >-
--   For every principal (IAM user, role, root; AWS services and calls a
--   service made on a principal's behalf are left out) a baseline is learnt
--   from its CloudTrail events in the baseline_days before the window: the
--   APIs it calls, the regions, the source networks (/24 for IPv4, /48 for
--   IPv6, else the service name), the user agent families, its hourly call
--   rate and its error rate. Each UTC day of the window is then scored for
--   what was new: a new region, a new network, new APIs (more if sensitive),
--   a new user agent family, an hour far above the usual rate, an hour whose
--   error rate jumps above the usual one (throttling errors do not count). Days scoring at least
--   min_score are findings, one per principal and day (the resource is the
--   day); event_ids are all the events behind the reasons. Principals with
--   fewer than min_baseline_events events or min_baseline_days active days
--   in the baseline have no usable history and are not scored, so new
--   principals do not flood the first days.
-- severity: high
-- sources: [cloudtrail]
-- params:
--   baseline_days: {default: 30, description: "days before the window from which each principal's baseline is learnt"}
--   min_baseline_events: {default: 50, description: "fewest baseline events for a principal to be scored"}
--   min_baseline_days: {default: 3, description: "fewest active baseline days for a principal to be scored"}
--   min_score: {default: 5, description: "lowest day score that is a finding"}
--   weight_new_region: {default: 3, description: "score for calls in a region the principal never used"}
--   weight_new_network: {default: 2, description: "score for calls from a network the principal never used"}
--   weight_new_api: {default: 1, description: "score for APIs the principal never called (none sensitive)"}
--   weight_new_sensitive_api: {default: 3, description: "score for never-called APIs matching sensitive_apis"}
--   weight_new_user_agent: {default: 1, description: "score for a user agent family the principal never used"}
--   weight_burst: {default: 2, description: "score for an hour far above the principal's usual hourly rate"}
--   weight_errors: {default: 2, description: "score for an error rate jump"}
--   sensitive_apis: {default: "iam:*,kms:*,organizations:*,cloudtrail:*,config:*,guardduty:*,securityhub:*,sts:GetCallerIdentity,sts:AssumeRole*,s3:PutBucketPolicy,s3:PutBucketAcl,s3:DeleteBucketPolicy,s3:PutBucketPublicAccessBlock,s3:DeleteBucketPublicAccessBlock,ec2:AuthorizeSecurityGroup*,ec2:CreateKeyPair,ec2:ImportKeyPair,secretsmanager:GetSecretValue,ssm:GetParameter*,lambda:AddPermission*,lambda:UpdateFunctionCode*", description: "comma-separated service:Action patterns (* matches anything) whose first use weighs more"}
--   burst_k: {default: 6, description: "an hour is a burst above baseline mean + burst_k standard deviations of hourly calls"}
--   burst_min_events: {default: 100, description: "fewest calls in one hour that can be a burst"}
--   min_errors: {default: 10, description: "fewest failed calls in one hour that can be an error jump"}
--   error_rate_jump: {default: 0.3, description: "an hour's error rate must exceed the baseline rate by this much (0 to 1)"}
-- controls: {soc2: [CC7.2, CC7.3, CC6.1], iso27001: [A.8.16, A.8.15], cis_aws_v3: ["4.1"]}
-- why: >-
--   Stolen credentials are used differently from the way their owner uses
--   them: from somewhere else, in regions nobody works in, calling APIs the
--   workload never needs, often failing because the permissions do not
--   match what the attacker expects. Fixed rules miss this because each call
--   on its own is legitimate; comparing a principal with its own history
--   catches it without a list of known-bad actions.
-- remediation: >-
--   Read the reasons and events: if the owner cannot explain them, treat the
--   credentials as compromised. Revoke active sessions (for a role, an
--   inline deny on aws:TokenIssueTime), rotate the keys, find where they
--   leaked (instance metadata, CI variables, a laptop), and check what the
--   successful calls read or changed. Tighten the principal's policy to the
--   APIs and regions its baseline shows it needs.
WITH p AS (
  SELECT
    CAST($window_start AS TIMESTAMPTZ) AS ws,
    CAST($window_end AS TIMESTAMPTZ) AS we,
    CAST($baseline_days AS INTEGER) AS bdays,
    list_transform(list_filter(string_split(CAST($sensitive_apis AS VARCHAR), ','), x -> trim(x) <> ''),
      x -> lower(replace(trim(x), '*', '%'))) AS sensitive
), ev AS (
  -- Events of scorable identities in the baseline and the window. pk stands
  -- for (account, principal) so that the heavy grouping below is on numbers.
  SELECT
    hash(coalesce(c.identity_account_id, c.recipient_account_id), c.principal) AS pk,
    coalesce(c.identity_account_id, c.recipient_account_id) AS account_id,
    c.principal,
    c.event_time,
    c.event_id,
    c.source_key,
    coalesce(c.session_issuer_arn, c.identity_arn) AS arn,
    c.identity_type,
    coalesce(c.event_source, '') AS event_source,
    coalesce(c.event_name, '') AS event_name,
    coalesce(c.aws_region, '') AS region,
    coalesce(c.source_ip_address, '') AS ip,
    coalesce(c.user_agent, '') AS ua,
    epoch_us(c.event_time) // 3600000000 AS hr,
    c.event_time >= p.ws AS in_window,
    (c.error_code IS NOT NULL AND c.error_code NOT IN ('ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException', 'SlowDown'))
      OR (c.error_code IS NULL AND c.event_name = 'ConsoleLogin' AND c.error_message IS NOT NULL) AS is_error
  FROM cloudtrail c, p
  WHERE c.event_time >= p.ws - to_days(p.bdays)
    AND c.event_time < p.we
    AND c.principal IS NOT NULL
    AND coalesce(c.identity_type, '') NOT IN ('AWSService', 'AWSAccount')
    AND c.identity_invoked_by IS NULL
    AND coalesce(c.event_type, 'AwsApiCall') IN ('AwsApiCall', 'AwsConsoleSignIn')
), sets AS MATERIALIZED (
  -- What each principal used, per dimension, and its calls and errors per
  -- hour, before and in the window, in one pass over the events.
  SELECT pk, in_window, event_source, event_name, region, ip, ua, hr,
    any_value(account_id) AS account_id, any_value(principal) AS principal,
    count(*) AS n, count(*) FILTER (WHERE is_error) AS errors
  FROM ev
  GROUP BY GROUPING SETS ((pk, in_window, event_source, event_name), (pk, in_window, region), (pk, in_window, ip), (pk, in_window, ua), (pk, in_window, hr))
), mapped AS MATERIALIZED (
  -- Each used value under the name it is compared by: service:Action,
  -- region, network, user agent family.
  SELECT *
  FROM (
    SELECT pk, in_window, event_source, event_name, region, ip, ua,
      CASE WHEN event_source IS NOT NULL THEN 'api' WHEN region IS NOT NULL THEN 'region' WHEN ip IS NOT NULL THEN 'network' ELSE 'agent' END AS dim,
      CASE WHEN event_source IS NOT NULL THEN split_part(event_source, '.', 1) || ':' || event_name
           WHEN region IS NOT NULL THEN region
           WHEN ip IS NOT NULL THEN CASE WHEN ip = '' THEN ''
           WHEN contains(ip, ':') THEN lower(array_to_string(string_split(ip, ':')[1:3], ':')) || '::/48'
           WHEN ip[1] BETWEEN '0' AND '9' THEN substr(ip, 1, length(ip) - strpos(reverse(ip), '.')) || '.0/24'
           ELSE lower(ip) END
           ELSE lower(split_part(split_part(ltrim(ua, '['), '/', 1), ' ', 1)) END AS value
    FROM sets
    WHERE hr IS NULL
  )
), items AS (
  SELECT DISTINCT pk, in_window, dim, value FROM mapped
), new_items AS MATERIALIZED (
  SELECT w.pk, w.dim, w.value
  FROM items w
  ANTI JOIN (SELECT pk, dim, value FROM items WHERE NOT in_window) b USING (pk, dim, value)
  WHERE w.in_window
), names AS (
  SELECT pk, any_value(account_id) AS account_id, any_value(principal) AS principal FROM sets GROUP BY pk
), bitems AS (
  SELECT pk,
    count(*) FILTER (WHERE dim = 'api') AS apis,
    count(*) FILTER (WHERE dim = 'region') AS regions,
    count(*) FILTER (WHERE dim = 'network') AS networks
  FROM items WHERE NOT in_window GROUP BY pk
), hours AS (
  SELECT pk, hr, in_window, n, errors FROM sets WHERE hr IS NOT NULL
), bstats AS (
  -- Principals with enough history to be scored, and their hourly profile.
  SELECT h.pk,
    sum(h.n) AS events,
    sum(h.errors) AS errors,
    sum(h.errors) / sum(h.n) AS error_rate,
    count(DISTINCT h.hr // 24) AS days,
    sum(h.n) / any_value(x.hours) AS mean,
    sqrt(greatest(sum(h.n * h.n) / any_value(x.hours) - pow(sum(h.n) / any_value(x.hours), 2), 0)) AS stddev
  FROM hours h
  JOIN (
    -- Hours of baseline: from the principal's first baseline hour (or the
    -- baseline start) to the window start; quiet hours count as zero.
    SELECT pk, greatest(1, least(any_value(p.bdays) * 24, epoch_us(any_value(p.ws)) // 3600000000 - min(hr))) * 1.0 AS hours
    FROM hours, p
    WHERE NOT in_window
    GROUP BY pk
  ) x USING (pk)
  WHERE NOT h.in_window
  GROUP BY h.pk
  HAVING sum(h.n) >= CAST($min_baseline_events AS BIGINT) AND count(DISTINCT h.hr // 24) >= CAST($min_baseline_days AS BIGINT)
), hour_flags AS (
  SELECT h.pk, h.hr, h.n, h.errors, b.mean, b.stddev, b.error_rate,
    h.n >= CAST($burst_min_events AS BIGINT) AND h.n > b.mean + CAST($burst_k AS DOUBLE) * b.stddev AS is_burst,
    h.errors >= CAST($min_errors AS BIGINT) AND h.errors / h.n > b.error_rate + CAST($error_rate_jump AS DOUBLE) AS is_error_jump
  FROM hours h
  JOIN bstats b USING (pk)
  WHERE h.in_window
), day_totals AS (
  SELECT pk, hr // 24 AS dnum, sum(n) AS events, sum(errors) AS errors,
    list(json_object('hour', strftime(timezone('UTC', to_timestamp(hr * 3600)), '%Y-%m-%dT%H:00:00Z'), 'calls', n,
      'baseline_mean', round(mean, 2), 'baseline_stddev', round(stddev, 2)) ORDER BY hr) FILTER (WHERE is_burst) AS burst_hours,
    list(json_object('hour', strftime(timezone('UTC', to_timestamp(hr * 3600)), '%Y-%m-%dT%H:00:00Z'), 'calls', n, 'errors', errors,
      'error_rate', round(errors / n, 3)) ORDER BY hr) FILTER (WHERE is_error_jump) AS error_hours
  FROM hour_flags
  GROUP BY pk, hr // 24
), candidates AS (
  -- A day cannot score more than everything new in the whole window, so
  -- only principals whose window total reaches min_score are looked at
  -- event by event.
  SELECT b.pk
  FROM bstats b
  LEFT JOIN (
    SELECT pk,
      bool_or(dim = 'region') AS region,
      bool_or(dim = 'network') AS network,
      bool_or(dim = 'api') AS api,
      bool_or(dim = 'api' AND len(list_filter(p.sensitive, pat -> lower(value) LIKE pat)) > 0) AS sensitive,
      bool_or(dim = 'agent') AS agent
    FROM new_items, p
    GROUP BY pk
  ) ni USING (pk)
  LEFT JOIN (
    SELECT pk, bool_or(is_burst) AS burst, bool_or(is_error_jump) AS error_jump
    FROM hour_flags
    GROUP BY pk
  ) hf USING (pk)
  WHERE (CASE WHEN ni.region THEN CAST($weight_new_region AS INTEGER) ELSE 0 END)
    + (CASE WHEN ni.network THEN CAST($weight_new_network AS INTEGER) ELSE 0 END)
    + (CASE WHEN ni.sensitive THEN greatest(CAST($weight_new_sensitive_api AS INTEGER), CAST($weight_new_api AS INTEGER))
            WHEN ni.api THEN CAST($weight_new_api AS INTEGER) ELSE 0 END)
    + (CASE WHEN ni.agent THEN CAST($weight_new_user_agent AS INTEGER) ELSE 0 END)
    + (CASE WHEN hf.burst THEN CAST($weight_burst AS INTEGER) ELSE 0 END)
    + (CASE WHEN hf.error_jump THEN CAST($weight_errors AS INTEGER) ELSE 0 END) >= CAST($min_score AS INTEGER)
), new_raw AS MATERIALIZED (
  -- The raw values (address, user agent, ...) behind each new item.
  SELECT m.pk, m.dim, m.value, m.event_source, m.event_name, m.region, m.ip, m.ua
  FROM mapped m
  JOIN new_items n USING (pk, dim, value)
  WHERE m.in_window AND m.pk IN (SELECT pk FROM candidates)
), flagged_events AS (
  -- The window's events of candidate principals, each with what was new.
  SELECT e.pk, e.hr, e.hr // 24 AS dnum, e.event_id, e.event_time, e.region, e.source_key, e.arn, e.identity_type,
    nr.value AS new_region,
    nn.value AS new_network,
    na.value AS new_api,
    ng.value AS new_agent,
    coalesce(hf.is_burst, false) AS in_burst,
    coalesce(hf.is_error_jump, false) AND e.is_error AS in_error_jump
  FROM ev e
  LEFT JOIN new_raw nr ON nr.pk = e.pk AND nr.dim = 'region' AND nr.region = e.region
  LEFT JOIN new_raw nn ON nn.pk = e.pk AND nn.dim = 'network' AND nn.ip = e.ip
  LEFT JOIN new_raw na ON na.pk = e.pk AND na.dim = 'api' AND na.event_source = e.event_source AND na.event_name = e.event_name
  LEFT JOIN new_raw ng ON ng.pk = e.pk AND ng.dim = 'agent' AND ng.ua = e.ua
  LEFT JOIN hour_flags hf ON hf.pk = e.pk AND hf.hr = e.hr
  WHERE e.in_window AND e.pk IN (SELECT pk FROM candidates)
), days AS (
  SELECT pk, dnum,
    coalesce(list(DISTINCT new_region) FILTER (WHERE new_region IS NOT NULL), []) AS new_regions,
    coalesce(list(DISTINCT new_network) FILTER (WHERE new_network IS NOT NULL), []) AS new_networks,
    coalesce(list(DISTINCT new_api) FILTER (WHERE new_api IS NOT NULL), []) AS new_apis,
    coalesce(list(DISTINCT new_agent) FILTER (WHERE new_agent IS NOT NULL), []) AS new_agents,
    min(event_time) AS first_seen,
    max(event_time) AS last_seen,
    count(*) AS n,
    list(event_id ORDER BY event_time, event_id) AS event_ids,
    list_sort(list_distinct(list(source_key) FILTER (WHERE source_key IS NOT NULL))) AS source_objects,
    min(region) AS any_region,
    any_value(arn) AS arn,
    any_value(identity_type) AS identity_type
  FROM flagged_events
  WHERE new_region IS NOT NULL OR new_network IS NOT NULL OR new_api IS NOT NULL OR new_agent IS NOT NULL OR in_burst OR in_error_jump
  GROUP BY pk, dnum
), scored AS (
  SELECT d.*, t.events AS day_events, t.errors AS day_errors, t.burst_hours, t.error_hours,
    s.events AS b_events, s.days AS b_days, s.error_rate AS b_error_rate,
    bi.apis AS b_apis, bi.regions AS b_regions, bi.networks AS b_networks,
    list_sort(list_filter(d.new_apis, a -> len(list_filter(p.sensitive, pat -> lower(a) LIKE pat)) > 0)) AS new_sensitive_apis
  FROM days d
  JOIN bstats s USING (pk)
  JOIN bitems bi USING (pk)
  LEFT JOIN day_totals t USING (pk, dnum)
  CROSS JOIN p
), reasons AS (
  SELECT *,
    list_filter([
      CASE WHEN len(new_regions) > 0 THEN json_object('reason', 'new_region', 'weight', CAST($weight_new_region AS INTEGER), 'values', list_sort(new_regions)) END,
      CASE WHEN len(new_networks) > 0 THEN json_object('reason', 'new_network', 'weight', CAST($weight_new_network AS INTEGER), 'values', list_sort(new_networks)) END,
      CASE WHEN len(new_sensitive_apis) > 0 THEN json_object('reason', 'new_sensitive_api', 'weight', CAST($weight_new_sensitive_api AS INTEGER), 'values', new_sensitive_apis,
             'other_new_apis', list_sort(list_filter(new_apis, a -> NOT list_contains(new_sensitive_apis, a))))
           WHEN len(new_apis) > 0 THEN json_object('reason', 'new_api', 'weight', CAST($weight_new_api AS INTEGER), 'values', list_sort(new_apis)) END,
      CASE WHEN len(new_agents) > 0 THEN json_object('reason', 'new_user_agent', 'weight', CAST($weight_new_user_agent AS INTEGER), 'values', list_sort(new_agents)) END,
      CASE WHEN burst_hours IS NOT NULL THEN json_object('reason', 'burst', 'weight', CAST($weight_burst AS INTEGER), 'hours', burst_hours) END,
      CASE WHEN error_hours IS NOT NULL THEN json_object('reason', 'error_rate_jump', 'weight', CAST($weight_errors AS INTEGER), 'hours', error_hours, 'baseline_error_rate', round(b_error_rate, 3)) END
    ], x -> x IS NOT NULL) AS reasons,
    (CASE WHEN len(new_regions) > 0 THEN CAST($weight_new_region AS INTEGER) ELSE 0 END)
    + (CASE WHEN len(new_networks) > 0 THEN CAST($weight_new_network AS INTEGER) ELSE 0 END)
    + (CASE WHEN len(new_sensitive_apis) > 0 THEN CAST($weight_new_sensitive_api AS INTEGER) WHEN len(new_apis) > 0 THEN CAST($weight_new_api AS INTEGER) ELSE 0 END)
    + (CASE WHEN len(new_agents) > 0 THEN CAST($weight_new_user_agent AS INTEGER) ELSE 0 END)
    + (CASE WHEN burst_hours IS NOT NULL THEN CAST($weight_burst AS INTEGER) ELSE 0 END)
    + (CASE WHEN error_hours IS NOT NULL THEN CAST($weight_errors AS INTEGER) ELSE 0 END) AS score
  FROM scored
)
SELECT
  n.account_id,
  coalesce(list_sort(r.new_regions)[1], r.any_region) AS region,
  n.principal,
  strftime(timezone('UTC', to_timestamp(r.dnum * 86400)), '%Y-%m-%d') AS resource,
  r.first_seen,
  r.last_seen,
  r.n AS count,
  r.event_ids,
  coalesce(r.source_objects, CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'score', r.score,
    'min_score', CAST($min_score AS INTEGER),
    'day', strftime(timezone('UTC', to_timestamp(r.dnum * 86400)), '%Y-%m-%d'),
    'arn', r.arn,
    'identity_type', r.identity_type,
    'reasons', r.reasons,
    'day_events', r.day_events,
    'day_errors', r.day_errors,
    'baseline', json_object(
      'days', (SELECT bdays FROM p),
      'active_days', r.b_days,
      'events', r.b_events,
      'apis', r.b_apis,
      'regions', r.b_regions,
      'networks', r.b_networks,
      'error_rate', round(r.b_error_rate, 3))
  ) AS details
FROM reasons r
JOIN names n USING (pk)
WHERE r.score >= CAST($min_score AS INTEGER)
