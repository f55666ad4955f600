-- id: ct_s3_bucket_policy_change
-- title: S3 bucket policy, ACL, CORS, lifecycle or replication changed
-- description: >-
--   A bucket's policy, ACL, CORS, lifecycle or replication configuration was
--   put or deleted (the API calls of the CIS 4.8 metric filter). One finding
--   per account, principal and bucket.
-- severity: medium
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.1, CC6.6, CC8.1], iso27001: [A.5.15, A.8.12, A.8.9], cis_aws_v3: ["4.8"]}
-- why: >-
--   Bucket policies and ACLs decide who outside the account can read the
--   data; a single change can make a bucket public or hand it to another
--   account, and lifecycle or replication changes can delete or copy data
--   away.
-- remediation: >-
--   Review the new policy or ACL for public or cross-account grants and
--   check the change against its request. Keep S3 Block Public Access on at
--   account level, and manage bucket policies as code.
WITH
-- Select the rows on typed columns first, then read the JSON columns of those
-- rows only (DuckDB fetches them by rowid instead of scanning every row's).
hits AS (
  SELECT rowid AS r
  FROM cloudtrail
  WHERE event_time >= $window_start AND event_time < $window_end
    AND event_name IN (
      'PutBucketAcl', 'PutBucketPolicy', 'PutBucketCors', 'PutBucketLifecycle',
      'PutBucketReplication', 'DeleteBucketPolicy', 'DeleteBucketCors', 'DeleteBucketLifecycle',
      'DeleteBucketReplication')
    AND event_source = 's3.amazonaws.com'
),
events AS (
  SELECT
    coalesce(recipient_account_id, identity_account_id) AS account_id,
    aws_region AS region,
    principal,
    request_parameters->>'$.bucketName' AS resource,
    event_time, event_id, event_name, error_code, source_ip_address, source_key
  FROM cloudtrail
  WHERE rowid IN (SELECT r FROM hits)
)
SELECT
  account_id,
  region,
  principal,
  resource,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  count(*) AS count,
  list(event_id ORDER BY event_time, event_id) AS event_ids,
  coalesce(list(DISTINCT source_key ORDER BY source_key) FILTER (WHERE source_key IS NOT NULL), []) AS source_objects,
  json_object(
    'event_names', list(DISTINCT event_name ORDER BY event_name),
    'failed_calls', count(*) FILTER (WHERE error_code IS NOT NULL),
    'error_codes', coalesce(list(DISTINCT error_code ORDER BY error_code) FILTER (WHERE error_code IS NOT NULL), []),
    'source_ips', coalesce(list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL), [])
  ) AS details
FROM events
GROUP BY account_id, region, principal, resource
