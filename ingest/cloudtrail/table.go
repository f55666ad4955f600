package cloudtrail

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/auditlake/auditlake/ingest/source"
)

var (
	str      = arrow.BinaryTypes.String
	bln      = arrow.FixedWidthTypes.Boolean
	ts       = source.Timestamp
	jsonType = "JSON"
)

// Column positions in the schema; decode.go appends in this order.
const (
	colEventTime = iota
	colEventID
	colEventVersion
	colEventSource
	colEventName
	colEventType
	colEventCategory
	colAwsRegion
	colSourceIP
	colUserAgent
	colErrorCode
	colErrorMessage
	colReadOnly
	colManagementEvent
	colRecipientAccountID
	colRequestID
	colSharedEventID
	colVpcEndpointID
	colVpcEndpointAccountID
	colAPIVersion
	colSessionCredentialFromConsole
	colPrincipal
	colSessionName
	colIdentityType
	colIdentityPrincipalID
	colIdentityArn
	colIdentityAccountID
	colIdentityAccessKeyID
	colIdentityUserName
	colIdentityInvokedBy
	colSessionIssuerType
	colSessionIssuerPrincipalID
	colSessionIssuerArn
	colSessionIssuerAccountID
	colSessionIssuerUserName
	colSessionMFAAuthenticated
	colSessionCreationDate
	colSessionSourceIdentity
	colUserIdentity
	colRequestParameters
	colResponseElements
	colAdditionalEventData
	colResources
	colServiceEventDetails
	colTLSDetails
	colInsightDetails
	colExtra
	numColumns
)

var table = &source.Table{
	Name: "cloudtrail",
	Doc: "One row per CloudTrail event (management, data, console sign-in, service and Insights events), " +
		"each eventID once at its own event time, whichever object and day folder delivered it.",
	Key:  []string{"event_id"},
	Time: "event_time",
	Columns: []source.Column{
		colEventTime:                    {Name: "event_time", Type: ts, Doc: "eventTime"},
		colEventID:                      {Name: "event_id", Type: str, Doc: "eventID; for old events without one, `synthetic-` and a hash of the event"},
		colEventVersion:                 {Name: "event_version", Type: str, Doc: "eventVersion"},
		colEventSource:                  {Name: "event_source", Type: str, Doc: "eventSource, e.g. `iam.amazonaws.com`"},
		colEventName:                    {Name: "event_name", Type: str, Doc: "eventName, e.g. `ConsoleLogin`"},
		colEventType:                    {Name: "event_type", Type: str, Doc: "eventType: AwsApiCall, AwsConsoleSignIn, AwsServiceEvent, AwsCloudTrailInsight, ..."},
		colEventCategory:                {Name: "event_category", Type: str, Doc: "eventCategory: Management, Data, NetworkActivity, Insight"},
		colAwsRegion:                    {Name: "aws_region", Type: str, Doc: "awsRegion"},
		colSourceIP:                     {Name: "source_ip_address", Type: str, Doc: "sourceIPAddress (an IP, or a service name such as `lambda.amazonaws.com`)"},
		colUserAgent:                    {Name: "user_agent", Type: str, Doc: "userAgent"},
		colErrorCode:                    {Name: "error_code", Type: str, Doc: "errorCode (NULL on success; failed console sign-ins have none, see error_message)"},
		colErrorMessage:                 {Name: "error_message", Type: str, Doc: "errorMessage"},
		colReadOnly:                     {Name: "read_only", Type: bln, Doc: "readOnly"},
		colManagementEvent:              {Name: "management_event", Type: bln, Doc: "managementEvent"},
		colRecipientAccountID:           {Name: "recipient_account_id", Type: str, Doc: "recipientAccountId: the account that received the event"},
		colRequestID:                    {Name: "request_id", Type: str, Doc: "requestID"},
		colSharedEventID:                {Name: "shared_event_id", Type: str, Doc: "sharedEventID"},
		colVpcEndpointID:                {Name: "vpc_endpoint_id", Type: str, Doc: "vpcEndpointId"},
		colVpcEndpointAccountID:         {Name: "vpc_endpoint_account_id", Type: str, Doc: "vpcEndpointAccountId"},
		colAPIVersion:                   {Name: "api_version", Type: str, Doc: "apiVersion"},
		colSessionCredentialFromConsole: {Name: "session_credential_from_console", Type: bln, Doc: "sessionCredentialFromConsole"},
		colPrincipal:                    {Name: "principal", Type: str, Doc: "readable principal: IAM user name, role name, `<root_account>`, federated user, or the invoking service"},
		colSessionName:                  {Name: "session_name", Type: str, Doc: "role session name of an assumed role (often the person behind an SSO role)"},
		colIdentityType:                 {Name: "identity_type", Type: str, Doc: "userIdentity.type: Root, IAMUser, AssumedRole, FederatedUser, AWSService, AWSAccount, IdentityCenterUser, ..."},
		colIdentityPrincipalID:          {Name: "identity_principal_id", Type: str, Doc: "userIdentity.principalId"},
		colIdentityArn:                  {Name: "identity_arn", Type: str, Doc: "userIdentity.arn"},
		colIdentityAccountID:            {Name: "identity_account_id", Type: str, Doc: "userIdentity.accountId"},
		colIdentityAccessKeyID:          {Name: "identity_access_key_id", Type: str, Doc: "userIdentity.accessKeyId (AKIA: long-term key, ASIA: temporary)"},
		colIdentityUserName:             {Name: "identity_user_name", Type: str, Doc: "userIdentity.userName"},
		colIdentityInvokedBy:            {Name: "identity_invoked_by", Type: str, Doc: "userIdentity.invokedBy: the AWS service that made the call on the principal's behalf"},
		colSessionIssuerType:            {Name: "session_issuer_type", Type: str, Doc: "userIdentity.sessionContext.sessionIssuer.type"},
		colSessionIssuerPrincipalID:     {Name: "session_issuer_principal_id", Type: str, Doc: "userIdentity.sessionContext.sessionIssuer.principalId"},
		colSessionIssuerArn:             {Name: "session_issuer_arn", Type: str, Doc: "userIdentity.sessionContext.sessionIssuer.arn"},
		colSessionIssuerAccountID:       {Name: "session_issuer_account_id", Type: str, Doc: "userIdentity.sessionContext.sessionIssuer.accountId"},
		colSessionIssuerUserName:        {Name: "session_issuer_user_name", Type: str, Doc: "userIdentity.sessionContext.sessionIssuer.userName (the role name)"},
		colSessionMFAAuthenticated:      {Name: "session_mfa_authenticated", Type: bln, Doc: "userIdentity.sessionContext.attributes.mfaAuthenticated"},
		colSessionCreationDate:          {Name: "session_creation_date", Type: ts, Doc: "userIdentity.sessionContext.attributes.creationDate"},
		colSessionSourceIdentity:        {Name: "session_source_identity", Type: str, Doc: "userIdentity.sessionContext.sourceIdentity"},
		colUserIdentity:                 {Name: "user_identity", Type: str, SQL: jsonType, Doc: "userIdentity as received"},
		colRequestParameters:            {Name: "request_parameters", Type: str, SQL: jsonType, Doc: "requestParameters"},
		colResponseElements:             {Name: "response_elements", Type: str, SQL: jsonType, Doc: "responseElements"},
		colAdditionalEventData:          {Name: "additional_event_data", Type: str, SQL: jsonType, Doc: "additionalEventData (ConsoleLogin: MFAUsed, LoginTo, ...)"},
		colResources:                    {Name: "resources", Type: str, SQL: jsonType, Doc: "resources"},
		colServiceEventDetails:          {Name: "service_event_details", Type: str, SQL: jsonType, Doc: "serviceEventDetails"},
		colTLSDetails:                   {Name: "tls_details", Type: str, SQL: jsonType, Doc: "tlsDetails"},
		colInsightDetails:               {Name: "insight_details", Type: str, SQL: jsonType, Doc: "insightDetails (Insights events only)"},
		colExtra:                        {Name: "extra", Type: str, SQL: jsonType, Doc: "any other top-level field, as an object (fields added by AWS after this version of auditlake)"},
	},
	Views: []source.View{
		{
			Name: "cloudtrail_principals",
			Doc:  "One row per principal and account: readable name, identity type, first and last activity, calls, errors, regions and source IPs.",
			SQL: `SELECT
  coalesce(identity_account_id, recipient_account_id) AS account_id,
  principal,
  any_value(identity_type) AS identity_type,
  any_value(coalesce(session_issuer_arn, identity_arn)) AS arn,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  count(*) AS events,
  count(*) FILTER (WHERE error_code IS NOT NULL OR error_message IS NOT NULL) AS errors,
  count(DISTINCT aws_region) AS regions,
  count(DISTINCT source_ip_address) AS source_ips,
  bool_or(identity_type = 'Root') AS is_root
FROM cloudtrail
WHERE principal IS NOT NULL
GROUP BY ALL`,
		},
		{
			Name: "cloudtrail_console_logins",
			Doc:  "Console sign-ins with outcome and MFA use in plain columns.",
			SQL: `SELECT event_time, recipient_account_id AS account_id, principal, identity_type, source_ip_address, user_agent,
  coalesce(response_elements->>'$.ConsoleLogin', CASE WHEN error_message IS NULL THEN 'Success' ELSE 'Failure' END) AS outcome,
  upper(additional_event_data->>'$.MFAUsed') = 'YES' AS mfa_used,
  error_message, event_id, source_key
FROM cloudtrail
WHERE event_name = 'ConsoleLogin'`,
		},
	},
}

// Table describes the cloudtrail table.
func Table() *source.Table { return table }
