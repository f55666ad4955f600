-- id: cfg_rds_unencrypted
-- title: RDS database storage not encrypted
-- description: >-
--   An RDS DB instance has storage encryption off
--   (configuration.storageEncrypted false) in its AWS Config state as of the
--   window end. The resource is the DB instance identifier.
-- severity: high
-- sources: [config_items]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.7], iso27001: [A.8.24], cis_aws_v3: ["2.3.1"]}
-- why: >-
--   Databases hold the data an auditor cares most about. Without storage
--   encryption, the instance's snapshots, automated backups and read
--   replicas are unencrypted too, and encryption cannot be switched on in
--   place later.
-- remediation: >-
--   Take a snapshot, copy it with encryption under a customer managed KMS
--   key, restore a new instance from the copy and cut over. Enforce
--   encryption for new instances with an SCP or an AWS Config rule (rds-
--   storage-encrypted).
WITH state AS (
  SELECT * FROM config_state_at(CAST($window_end AS TIMESTAMPTZ))
  WHERE resource_type = 'AWS::RDS::DBInstance'
)
SELECT
  account_id,
  region,
  CAST(NULL AS VARCHAR) AS principal,
  coalesce(resource_name, configuration->>'$.dBInstanceIdentifier', resource_id) AS resource,
  capture_time AS first_seen,
  capture_time AS last_seen,
  CAST(1 AS BIGINT) AS count,
  list_filter([coalesce(CAST(state_id AS VARCHAR), state_id_text)], x -> x IS NOT NULL) AS event_ids,
  list_filter([source_key], k -> k IS NOT NULL) AS source_objects,
  json_object(
    'evaluated', 'state_at_window_end',
    'captured_at', strftime(timezone('UTC', capture_time), '%Y-%m-%dT%H:%M:%SZ'),
    'arn', arn,
    'db_instance_identifier', configuration->>'$.dBInstanceIdentifier',
    'dbi_resource_id', resource_id,
    'engine', configuration->>'$.engine',
    'publicly_accessible', TRY_CAST(configuration->>'$.publiclyAccessible' AS BOOLEAN)
  ) AS details
FROM state
WHERE NOT coalesce(TRY_CAST(configuration->>'$.storageEncrypted' AS BOOLEAN), true)
