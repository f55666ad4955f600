-- id: ct_access_key_created_for_other_user
-- title: Access key created for another user
-- description: >-
--   A principal successfully created an access key for an IAM user other
--   than itself (CreateAccessKey naming a userName that is not the
--   caller's own). One finding per account, principal and user the key was
--   created for.
-- severity: medium
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.2, CC6.3], iso27001: [A.5.16, A.5.17, A.5.18], cis_aws_v3: ["1.11"]}
-- why: >-
--   Whoever creates an access key sees its secret once, so a key created for
--   someone else is a credential held by two people, and a classic way to
--   keep access to an account (persistence) after the first foothold. Keys
--   should be created by their owner, when needed.
-- remediation: >-
--   Confirm with the key's user and the creator why the key was made and
--   who holds the secret. Deactivate and delete keys that were not
--   requested, and restrict iam:CreateAccessKey on other users to an
--   approved provisioning role.
SELECT
  coalesce(recipient_account_id, identity_account_id) AS account_id,
  CAST(NULL AS VARCHAR) AS region,
  principal,
  request_parameters->>'$.userName' AS resource,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  count(*) AS count,
  list(event_id ORDER BY event_time, event_id) AS event_ids,
  coalesce(list(DISTINCT source_key ORDER BY source_key) FILTER (WHERE source_key IS NOT NULL), []) AS source_objects,
  json_object(
    'access_key_ids', coalesce(list(DISTINCT response_elements->>'$.accessKey.accessKeyId' ORDER BY response_elements->>'$.accessKey.accessKeyId')
      FILTER (WHERE (response_elements->>'$.accessKey.accessKeyId') IS NOT NULL), []),
    'caller_identity_type', any_value(identity_type),
    'caller_arn', any_value(coalesce(session_issuer_arn, identity_arn)),
    'source_ips', coalesce(list(DISTINCT source_ip_address ORDER BY source_ip_address) FILTER (WHERE source_ip_address IS NOT NULL), [])
  ) AS details
FROM cloudtrail
WHERE event_time >= $window_start AND event_time < $window_end
  AND event_name = 'CreateAccessKey'
  AND event_source = 'iam.amazonaws.com'
  AND error_code IS NULL
  AND (request_parameters->>'$.userName') IS NOT NULL
  AND (identity_type IS DISTINCT FROM 'IAMUser'
       OR (request_parameters->>'$.userName') IS DISTINCT FROM identity_user_name)
GROUP BY 1, 3, 4
