-- id: cfg_rds_publicly_accessible
-- title: RDS database publicly accessible
-- description: >-
--   An RDS DB instance had publiclyAccessible true (a public DNS name that
--   resolves to a public address) in any version in force during the window.
--   Its security groups decide whether the internet can actually connect;
--   the setting alone is the misconfiguration. The resource is the DB
--   instance identifier.
-- severity: high
-- sources: [config_items]
-- params: {}
-- controls: {soc2: [CC6.6, CC6.1], iso27001: [A.8.20, A.8.22], cis_aws_v3: ["2.3.3"]}
-- why: >-
--   A database reachable from the internet is one security group mistake away
--   from password guessing and exploits against the engine. Databases almost
--   never need a public address; applications reach them inside the VPC.
-- remediation: >-
--   Modify the instance to turn publicly accessible off and place it in
--   private subnets; give administrators access through a bastion, SSM port
--   forwarding or a VPN. Block the setting with an AWS Config rule
--   (rds-instance-public-access-check) or an SCP.
WITH versions AS (
  SELECT * FROM config_state_at(CAST($window_start AS TIMESTAMPTZ))
  WHERE resource_type = 'AWS::RDS::DBInstance'
  UNION ALL
  SELECT * FROM config_items
  WHERE resource_type = 'AWS::RDS::DBInstance'
    AND capture_time > CAST($window_start AS TIMESTAMPTZ)
    AND capture_time < CAST($window_end AS TIMESTAMPTZ)
), ranked AS (
  SELECT *,
    row_number() OVER (PARTITION BY account_id, region, resource_id
      ORDER BY capture_time DESC, state_id DESC NULLS LAST, source_key) = 1 AS is_latest
  FROM versions
  WHERE NOT coalesce(status IN ('ResourceDeleted', 'ResourceDeletedNotRecorded'), false)
)
SELECT
  account_id,
  region,
  CAST(NULL AS VARCHAR) AS principal,
  coalesce(any_value(resource_name), any_value(configuration->>'$.dBInstanceIdentifier'), resource_id) AS resource,
  min(capture_time) AS first_seen,
  max(capture_time) AS last_seen,
  count(*) AS count,
  coalesce(list(coalesce(CAST(state_id AS VARCHAR), state_id_text) ORDER BY capture_time) FILTER (WHERE coalesce(CAST(state_id AS VARCHAR), state_id_text) IS NOT NULL), CAST([] AS VARCHAR[])) AS event_ids,
  coalesce(list(DISTINCT source_key) FILTER (WHERE source_key IS NOT NULL), CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'evaluated', 'versions_during_window',
    'dbi_resource_id', resource_id,
    'engine', any_value(configuration->>'$.engine'),
    'endpoint', any_value(configuration->>'$.endpoint.address'),
    'security_groups', list_sort(list_distinct(flatten(list(coalesce(json_extract_string(configuration, '$.vpcSecurityGroups[*].vpcSecurityGroupId'), CAST([] AS VARCHAR[])))))),
    'public_at_window_end', bool_or(is_latest),
    'related_cloudtrail_events', list_sort(list_distinct(flatten(list(coalesce(TRY_CAST(related_events AS VARCHAR[]), [])))))
  ) AS details
FROM ranked
WHERE coalesce(TRY_CAST(configuration->>'$.publiclyAccessible' AS BOOLEAN), false)
GROUP BY account_id, region, resource_id
