-- id: cfg_ssm_patch_noncompliant
-- title: Instance missing patches (SSM patch compliance)
-- description: >-
--   Systems Manager Patch Manager reports an instance NON_COMPLIANT with its
--   patch baseline (an AWS::SSM::PatchCompliance item) in the AWS Config
--   state as of the window end. The resource is the instance id.
-- severity: high
-- sources: [config_items]
-- params: {}
-- controls: {soc2: [CC7.1, CC8.1], iso27001: [A.8.8, A.8.9], cis_aws_v3: []}
-- why: >-
--   Patching the guest operating system is the customer's duty on EC2.
--   Missing security patches, critical ones above all, are how known
--   exploits get in, and auditors ask for evidence that patch status is
--   watched and acted on.
-- remediation: >-
--   Run AWS-RunPatchBaseline (Install) on the instance or its patch group in
--   the next maintenance window, or replace the instance from a patched
--   image, then confirm compliance. Keep a schedule that installs patches
--   within the time your policy sets for each severity.
WITH state AS (
  SELECT * FROM config_state_at(CAST($window_end AS TIMESTAMPTZ))
  WHERE resource_type = 'AWS::SSM::PatchCompliance'
)
SELECT
  account_id,
  region,
  CAST(NULL AS VARCHAR) AS principal,
  coalesce(json_extract_string(relationships, '$[0].resourceId'), replace(resource_id, 'AWS::SSM::PatchCompliance/', '')) AS resource,
  capture_time AS first_seen,
  capture_time AS last_seen,
  CAST(1 AS BIGINT) AS count,
  list_filter([coalesce(CAST(state_id AS VARCHAR), state_id_text)], x -> x IS NOT NULL) AS event_ids,
  list_filter([source_key], k -> k IS NOT NULL) AS source_objects,
  json_object(
    'evaluated', 'state_at_window_end',
    'captured_at', strftime(timezone('UTC', capture_time), '%Y-%m-%dT%H:%M:%SZ'),
    'arn', arn,
    'patch_group', configuration->>'$."AWS:ComplianceItem".Content.Patch.PatchGroup',
    'patch_baseline_id', configuration->>'$."AWS:ComplianceItem".Content.Patch.PatchBaselineId',
    'overall_severity', configuration->>'$."AWS:ComplianceItem".Content.Patch.OverallSeverity',
    'non_compliant_critical', TRY_CAST(configuration->>'$."AWS:ComplianceItem".Content.Patch.NonCompliantCriticalCount' AS BIGINT),
    'missing', TRY_CAST(configuration->>'$."AWS:ComplianceItem".Content.Patch.MissingCount' AS BIGINT),
    'scan_time', configuration->>'$."AWS:ComplianceItem".CaptureTime'
  ) AS details
FROM state
WHERE coalesce(configuration->>'$."AWS:ComplianceItem".Status', configuration->>'$."AWS:ComplianceItem".Content.Patch.Status') = 'NON_COMPLIANT'
