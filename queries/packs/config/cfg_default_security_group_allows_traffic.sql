-- id: cfg_default_security_group_allows_traffic
-- title: Default security group allows traffic
-- description: >-
--   A VPC's default security group has inbound or outbound rules in its AWS
--   Config state as of the window end. AWS creates it with an allow-all
--   outbound rule and an inbound rule from itself; CIS wants both removed.
-- severity: medium
-- sources: [config_items]
-- params: {}
-- controls: {soc2: [CC6.6], iso27001: [A.8.20, A.8.22], cis_aws_v3: ["5.4"]}
-- why: >-
--   Anything launched without an explicit security group lands in the
--   default one. Rules there give such resources network access nobody
--   designed, and make the least-privilege rules elsewhere easy to bypass.
-- remediation: >-
--   Remove every inbound and outbound rule from the default security group
--   of each VPC, after moving any resource that uses it to a purpose-made
--   group. Keep it empty with an AWS Config rule (vpc-default-security-
--   group-closed).
WITH state AS (
  SELECT * FROM config_state_at(CAST($window_end AS TIMESTAMPTZ))
  WHERE resource_type = 'AWS::EC2::SecurityGroup'
)
SELECT
  account_id,
  region,
  CAST(NULL AS VARCHAR) AS principal,
  resource_id AS resource,
  capture_time AS first_seen,
  capture_time AS last_seen,
  CAST(1 AS BIGINT) AS count,
  list_filter([coalesce(CAST(state_id AS VARCHAR), state_id_text)], x -> x IS NOT NULL) AS event_ids,
  list_filter([source_key], k -> k IS NOT NULL) AS source_objects,
  json_object(
    'evaluated', 'state_at_window_end',
    'captured_at', strftime(timezone('UTC', capture_time), '%Y-%m-%dT%H:%M:%SZ'),
    'arn', arn,
    'group_name', configuration->>'$.groupName',
    'vpc_id', configuration->>'$.vpcId',
    'inbound_rules', coalesce(json_array_length(configuration->'$.ipPermissions'), 0),
    'outbound_rules', coalesce(json_array_length(configuration->'$.ipPermissionsEgress'), 0)
  ) AS details
FROM state
WHERE configuration->>'$.groupName' = 'default'
  AND (coalesce(json_array_length(configuration->'$.ipPermissions'), 0) > 0
    OR coalesce(json_array_length(configuration->'$.ipPermissionsEgress'), 0) > 0)
