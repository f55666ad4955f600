-- id: iam_multiple_active_keys
-- title: IAM user with two active access keys
-- description: An IAM user has both access key slots active, according to the latest credential report at or before the end of the window.
-- severity: low
-- sources: [credential_report]
-- params: {}
-- controls: {soc2: [CC6.1], iso27001: [A.5.17], cis_aws_v3: ["1.13"]}
-- why: >-
--   Two active keys are normal for the hours of a rotation, not as a
--   steady state. Left that way, the old key keeps working after everyone
--   believes it is gone, or a second key was created for someone else to
--   use, outside the owner's knowledge.
-- remediation: >-
--   Find which key is still in use (last used date and service in the
--   details, CloudTrail by access key id), finish the rotation, and
--   deactivate then delete the other key. Investigate keys that nobody
--   remembers creating.
WITH report AS (
  SELECT * FROM credential_report_as_of(CAST($window_end AS TIMESTAMPTZ))
)
SELECT
  account_id,
  CAST(NULL AS VARCHAR) AS region,
  user_name AS principal,
  arn AS resource,
  generated_at AS first_seen,
  generated_at AS last_seen,
  CAST(2 AS BIGINT) AS count,
  CAST([] AS VARCHAR[]) AS event_ids,
  list_filter([source_key], k -> k IS NOT NULL) AS source_objects,
  json_object(
    'report_generated_at', strftime(timezone('UTC', generated_at), '%Y-%m-%dT%H:%M:%SZ'),
    'keys', [
      json_object('key_slot', 1,
        'last_rotated', strftime(timezone('UTC', access_key_1_last_rotated), '%Y-%m-%dT%H:%M:%SZ'),
        'last_used', coalesce(strftime(timezone('UTC', access_key_1_last_used_date), '%Y-%m-%dT%H:%M:%SZ'), access_key_1_last_used_date_raw),
        'last_used_service', access_key_1_last_used_service),
      json_object('key_slot', 2,
        'last_rotated', strftime(timezone('UTC', access_key_2_last_rotated), '%Y-%m-%dT%H:%M:%SZ'),
        'last_used', coalesce(strftime(timezone('UTC', access_key_2_last_used_date), '%Y-%m-%dT%H:%M:%SZ'), access_key_2_last_used_date_raw),
        'last_used_service', access_key_2_last_used_service)]
  ) AS details
FROM report
WHERE NOT coalesce(is_root, false)
  AND coalesce(access_key_1_active, false)
  AND coalesce(access_key_2_active, false)
