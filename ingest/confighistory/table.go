package confighistory

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/auditlake/auditlake/ingest/source"
)

var (
	str      = arrow.BinaryTypes.String
	i64      = arrow.PrimitiveTypes.Int64
	ts       = source.Timestamp
	jsonType = "JSON"
)

// Column positions in the schema; decode.go appends in this order.
const (
	colCaptureTime = iota
	colAccountID
	colRegion
	colResourceType
	colResourceID
	colResourceName
	colARN
	colStatus
	colItemVersion
	colStateID
	colStateIDText
	colStateMD5
	colAvailabilityZone
	colResourceCreationTime
	colTags
	colConfiguration
	colSupplementaryConfiguration
	colRelationships
	colRelatedEvents
	colSnapshotID
	colFileKind
	colExtra
	numColumns
)

// deleted is the SQL test for a version that says the resource is gone.
const deleted = `status IN ('ResourceDeleted', 'ResourceDeletedNotRecorded')`

// versionOrder ranks the versions of one resource, latest first. Versions
// captured in the same millisecond are ordered by configurationStateId, and
// then by the object they came from, so that the answer never depends on
// load order.
const versionOrder = `PARTITION BY account_id, region, resource_type, resource_id
    ORDER BY capture_time DESC, state_id DESC NULLS LAST, source_key, source_bucket`

var table = &source.Table{
	Name: "config_items",
	Doc: "One row per AWS Config configuration item: every recorded version of every resource, from configuration history " +
		"and snapshot files (and oversized-item notifications), each version once however many files delivered it.",
	Key:  []string{"account_id", "region", "resource_type", "resource_id", "capture_time", "state_id"},
	Time: "capture_time",
	Columns: []source.Column{
		colCaptureTime:                {Name: "capture_time", Type: ts, Doc: "configurationItemCaptureTime: when AWS Config recorded this version (RFC 3339 in files; epoch seconds in API output, both accepted)"},
		colAccountID:                  {Name: "account_id", Type: str, Doc: "awsAccountId (documentation examples: accountId); the key's account when the item has neither"},
		colRegion:                     {Name: "region", Type: str, Doc: "awsRegion; the key's region when the item has none (documentation examples)"},
		colResourceType:               {Name: "resource_type", Type: str, Doc: "resourceType, e.g. `AWS::EC2::SecurityGroup`"},
		colResourceID:                 {Name: "resource_id", Type: str, Doc: "resourceId, e.g. `sg-0123456789abcdef0`"},
		colResourceName:               {Name: "resource_name", Type: str, Doc: "resourceName (often NULL)"},
		colARN:                        {Name: "arn", Type: str, Doc: "ARN (documentation examples: arn)"},
		colStatus:                     {Name: "status", Type: str, Doc: "configurationItemStatus: OK, ResourceDiscovered, ResourceNotRecorded, ResourceDeleted, ResourceDeletedNotRecorded"},
		colItemVersion:                {Name: "item_version", Type: str, Doc: "configurationItemVersion, e.g. `1.3` (old examples: snapshotVersion; API output: version)"},
		colStateID:                    {Name: "state_id", Type: i64, Doc: "configurationStateId when it is a number (epoch milliseconds in current deliveries), from a JSON number or a numeric string"},
		colStateIDText:                {Name: "state_id_text", Type: str, Doc: "configurationStateId (or configurationStateID, configurationItemState) when it is not a number, as received; NULL when state_id holds it"},
		colStateMD5:                   {Name: "state_md5", Type: str, Doc: "configurationStateMd5Hash (API output: configurationItemMD5Hash); NULL when empty, as current deliveries write it"},
		colAvailabilityZone:           {Name: "availability_zone", Type: str, Doc: "availabilityZone (also the documentation's availibilityZone), e.g. `us-east-1a` or `Not Applicable`"},
		colResourceCreationTime:       {Name: "resource_creation_time", Type: ts, Doc: "resourceCreationTime"},
		colTags:                       {Name: "tags", Type: str, SQL: jsonType, Doc: "tags, an object of tag key to value"},
		colConfiguration:              {Name: "configuration", Type: str, SQL: jsonType, Doc: "configuration: the resource's own description (NULL for deletions). API output gives it as a JSON string; it is decoded, so this is always the object"},
		colSupplementaryConfiguration: {Name: "supplementary_configuration", Type: str, SQL: jsonType, Doc: "supplementaryConfiguration (S3 bucket policy, ACLs, ...); members that API output gives as JSON-encoded strings holding an object or array are decoded, nothing deeper"},
		colRelationships:              {Name: "relationships", Type: str, SQL: jsonType, Doc: "relationships: array of {resourceType, resourceId, resourceName, name}"},
		colRelatedEvents:              {Name: "related_events", Type: str, SQL: jsonType, Doc: "relatedEvents: array of CloudTrail eventIDs that caused this version (join cloudtrail.event_id)"},
		colSnapshotID:                 {Name: "snapshot_id", Type: str, Doc: "configSnapshotId (or requestId) of the snapshot file the row came from; NULL for history rows. A version delivered by both keeps the history copy"},
		colFileKind:                   {Name: "file_kind", Type: str, Doc: "what delivered the kept copy: history, snapshot, or notification (an oversized-item ConfigurationItemChangeNotification)"},
		colExtra:                      {Name: "extra", Type: str, SQL: jsonType, Doc: "any other field of the item, as an object (fields added by AWS after this version of auditlake, or a known field of an unusable type)"},
	},
	Views: []source.View{
		{
			Name: "config_latest",
			Doc: "The latest known version of every resource that still exists: resources whose latest version is a deletion are left out. " +
				"Use `config_state_at(ts)` for the state at another time.",
			SQL: `SELECT * EXCLUDE (version_rank) FROM (
  SELECT *, row_number() OVER (` + versionOrder + `) AS version_rank
  FROM config_items
)
WHERE version_rank = 1 AND NOT coalesce(` + deleted + `, false)`,
		},
	},
	DDL: []string{
		`-- config_state_at(ts): every resource as it was at ts (its latest version captured at or
-- before ts), leaving out resources not yet recorded or already deleted by then.
--   SELECT * FROM config_state_at(TIMESTAMPTZ '2026-10-31 23:59:59+00') WHERE resource_id = 'sg-0123456789abcdef0'
CREATE OR REPLACE MACRO config_state_at(ts) AS TABLE
SELECT * EXCLUDE (version_rank) FROM (
  SELECT *, row_number() OVER (` + versionOrder + `) AS version_rank
  FROM config_items
  WHERE capture_time <= CAST(ts AS TIMESTAMPTZ)
)
WHERE version_rank = 1 AND NOT coalesce(` + deleted + `, false)`,
	},
}

// Table describes the config_items table.
func Table() *source.Table { return table }
