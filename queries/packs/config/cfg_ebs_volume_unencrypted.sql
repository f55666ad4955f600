-- id: cfg_ebs_volume_unencrypted
-- title: EBS volume not encrypted
-- description: >-
--   An EBS volume is not encrypted (configuration.encrypted false) in its
--   AWS Config state as of the window end.
-- severity: medium
-- sources: [config_items]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.7], iso27001: [A.8.24], cis_aws_v3: ["2.2.1"]}
-- why: >-
--   Unencrypted volumes, and the snapshots taken from them, can be read by
--   anyone who obtains a copy: a snapshot shared by mistake, a volume
--   attached elsewhere, or decommissioned storage. Encryption with a KMS key
--   adds a second permission check and an audit trail on every use.
-- remediation: >-
--   Encrypt by copying a snapshot with encryption on and replacing the
--   volume from it during a maintenance window. Turn on EBS encryption by
--   default in every account and region so new volumes are always encrypted.
WITH state AS (
  SELECT * FROM config_state_at(CAST($window_end AS TIMESTAMPTZ))
  WHERE resource_type = 'AWS::EC2::Volume'
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
    'volume_state', configuration->>'$.state',
    'size_gib', TRY_CAST(configuration->>'$.size' AS BIGINT),
    'volume_type', configuration->>'$.volumeType',
    'attached_instances', coalesce(json_extract_string(configuration, '$.attachments[*].instanceId'), CAST([] AS VARCHAR[]))
  ) AS details
FROM state
WHERE NOT coalesce(TRY_CAST(configuration->>'$.encrypted' AS BOOLEAN), true)
