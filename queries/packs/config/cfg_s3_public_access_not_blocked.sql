-- id: cfg_s3_public_access_not_blocked
-- title: S3 bucket without a full public access block
-- description: >-
--   A bucket's own PublicAccessBlockConfiguration (supplementaryConfiguration)
--   was missing or had one of its four settings off, in any version in force
--   during the window. An account-level block, which Config does not record
--   on the bucket item, may still protect the bucket: check it before
--   closing the finding. Details say whether the bucket policy grants access
--   to everyone (Principal "*").
-- severity: high
-- sources: [config_items]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.6], iso27001: [A.5.15, A.8.12], cis_aws_v3: ["2.1.4"]}
-- why: >-
--   Block Public Access is the backstop that keeps one careless bucket policy
--   or ACL from publishing data to the internet. Without it, a single change
--   (often made to share one file) exposes everything in the bucket.
-- remediation: >-
--   Turn on all four settings for the bucket and for the account; serve
--   public content through CloudFront with origin access control instead of
--   a public bucket. Remove policy statements and ACL grants to everyone.
WITH versions AS (
  SELECT * FROM config_state_at(CAST($window_start AS TIMESTAMPTZ))
  WHERE resource_type = 'AWS::S3::Bucket'
  UNION ALL
  SELECT * FROM config_items
  WHERE resource_type = 'AWS::S3::Bucket'
    AND capture_time > CAST($window_start AS TIMESTAMPTZ)
    AND capture_time < CAST($window_end AS TIMESTAMPTZ)
), ranked AS (
  SELECT *,
    row_number() OVER (PARTITION BY account_id, region, resource_id
      ORDER BY capture_time DESC, state_id DESC NULLS LAST, source_key) = 1 AS is_latest,
    supplementary_configuration->'$.PublicAccessBlockConfiguration' AS pab,
    replace(coalesce(supplementary_configuration->>'$.BucketPolicy.policyText', ''), ' ', '') AS policy
  FROM versions
  WHERE NOT coalesce(status IN ('ResourceDeleted', 'ResourceDeletedNotRecorded'), false)
), exposed AS (
  SELECT *,
    list_filter(['blockPublicAcls', 'ignorePublicAcls', 'blockPublicPolicy', 'restrictPublicBuckets'],
      f -> pab IS NULL OR NOT coalesce(TRY_CAST(json_extract_string(pab, '$.' || f) AS BOOLEAN), false)) AS settings_off,
    contains(policy, '"Principal":"*"') OR contains(policy, '"AWS":"*"') AS policy_public
  FROM ranked
)
SELECT
  account_id,
  region,
  CAST(NULL AS VARCHAR) AS principal,
  resource_id AS resource,
  min(capture_time) AS first_seen,
  max(capture_time) AS last_seen,
  count(*) AS count,
  coalesce(list(coalesce(CAST(state_id AS VARCHAR), state_id_text) ORDER BY capture_time) FILTER (WHERE coalesce(CAST(state_id AS VARCHAR), state_id_text) IS NOT NULL), CAST([] AS VARCHAR[])) AS event_ids,
  coalesce(list(DISTINCT source_key) FILTER (WHERE source_key IS NOT NULL), CAST([] AS VARCHAR[])) AS source_objects,
  json_object(
    'evaluated', 'versions_during_window',
    'public_access_block_missing', bool_or(pab IS NULL),
    'settings_off', list_sort(list_distinct(flatten(list(settings_off)))),
    'policy_grants_everyone', bool_or(policy_public),
    'exposed_at_window_end', bool_or(is_latest),
    'related_cloudtrail_events', list_sort(list_distinct(flatten(list(coalesce(TRY_CAST(related_events AS VARCHAR[]), [])))))
  ) AS details
FROM exposed
WHERE len(settings_off) > 0
GROUP BY account_id, region, resource_id
