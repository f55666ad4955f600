-- id: cfg_s3_default_encryption_missing
-- title: S3 bucket without a default encryption configuration
-- description: >-
--   A bucket's AWS Config state as of the window end has no
--   ServerSideEncryptionConfiguration in supplementaryConfiguration. Since
--   January 2023 S3 encrypts new objects with SSE-S3 regardless, so the
--   finding matters where policy requires KMS keys, and for objects written
--   before.
-- severity: low
-- sources: [config_items]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.7], iso27001: [A.8.24], cis_aws_v3: []}
-- why: >-
--   A default encryption setting records, per bucket, which key protects the
--   data; with a customer managed KMS key it also adds a key policy check
--   and a CloudTrail record to every read. Buckets without one fall back to
--   whatever S3 does by default.
-- remediation: >-
--   Set default encryption on the bucket (SSE-KMS with a customer managed
--   key and S3 Bucket Keys where your policy requires it), and re-encrypt
--   older objects with S3 Batch Operations if needed.
WITH state AS (
  SELECT * FROM config_state_at(CAST($window_end AS TIMESTAMPTZ))
  WHERE resource_type = 'AWS::S3::Bucket'
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
    'bucket', resource_id
  ) AS details
FROM state
WHERE (supplementary_configuration->'$.ServerSideEncryptionConfiguration') IS NULL
