// Package confighistory ingests AWS Config's deliveries to S3 into the
// config_items table: one row per configuration item, that is per recorded
// version of a resource, so that the state of any resource at any time can
// be answered (config_state_at) and its current state listed
// (config_latest).
//
// Key layouts (month and day are not zero-padded; a bucket prefix may come
// before AWSLogs/, and organisation-wide delivery adds the o-... segment):
//
//	AWSLogs/[o-orgid/]<account>/Config/<region>/YYYY/M/D/ConfigHistory/<account>_Config_<region>_ConfigHistory_<ResourceType>_<start>_<end>_<n>.json.gz
//	AWSLogs/[o-orgid/]<account>/Config/<region>/YYYY/M/D/ConfigSnapshot/<account>_Config_<region>_ConfigSnapshot_<time>_<snapshotId>.json.gz
//	AWSLogs/[o-orgid/]<account>/Config/<region>/YYYY/M/D/OversizedChangeNotification/<ResourceType>/<resourceId>/<file>.json.gz
//	AWSLogs/[o-orgid/]<account>/Config/ConfigWritabilityCheckFile
//
// The manifest kinds are config_history, config_snapshot,
// config_oversized_item and config_writability_check; a Config body found
// under a key no layout knows is recognised by content (Sniff) and recorded
// as "config". The writability check is recorded and never read.
//
// # Bodies
//
// History and snapshot files are {"fileVersion":"1.0", ["configSnapshotId"
// | "requestId",] "configurationItems":[...]}. The decoder (decode.go)
// streams the items into Arrow batches (16k rows, or 32 MB) and never holds
// the file. The same shape as API output (get-resource-config-history) loads
// too. Other bodies:
//
//   - ConfigurationItemChangeNotification {"configurationItem":{...},
//     "messageType":...}: what Config writes under OversizedChangeNotification/
//     when an item is too large for SNS. Its one item loads (file_kind
//     "notification").
//   - OversizedConfigurationItemChangeNotification (the SNS message carrying
//     only configurationItemSummary and s3DeliverySummary), and any other
//     Config notification (ConfigurationHistoryDeliveryCompleted,
//     ConfigurationSnapshotDeliveryCompleted, ...): no item, so the object
//     loads with zero rows and one skipped record whose message says what
//     it was and where the full item is. Not an error, and never a row of
//     NULLs.
//   - An SNS envelope ({"Type":"Notification","Message":...}, Message a
//     JSON string or, as the documentation shows it, an object) is opened
//     and its message read as above.
//   - Anything else fails the object: "not an AWS Config file: ...", as do
//     invalid JSON, a truncated body and data after the document.
//
// An item that is not an object, has no usable configurationItemCaptureTime
// (it cannot be placed in time) or no resourceType/resourceId (it cannot be
// identified) is skipped and counted with its index; the rest loads.
//
// # Vocabulary
//
// Fields are read by every name they have been seen under: the current
// schema (awsAccountId, ARN, configurationStateId, configurationItemVersion),
// the 2014 documentation examples (accountId, arn, configurationStateID,
// configurationItemState, snapshotVersion, the typo availibilityZone) and API
// output (version, configurationItemMD5Hash). When an item carries two
// spellings of one field the first is kept in its column and the second in
// extra. Unknown fields, and known fields of an unusable type (an object
// where a string belongs, a resourceCreationTime that is not a time), are
// kept in extra, never dropped.
//
// Values:
//
//   - Times are RFC 3339 text, or epoch seconds (a number, possibly with a
//     fraction) as API output gives them; a number of 12 digits or more is
//     taken as epoch milliseconds.
//   - configurationStateId goes to state_id (BIGINT) when it is a number or
//     a numeric string, else, as received, to state_id_text (the
//     documentation's UUIDs).
//   - configurationStateMd5Hash "" (what current deliveries write) is NULL.
//   - configuration given as a JSON string holding an object or array (API
//     output) is decoded, so the column always holds the object; another
//     string stays the JSON string it is.
//   - supplementaryConfiguration members given as JSON strings holding an
//     object or array (API output) are decoded, one level deep: strings
//     inside them, such as an S3 bucket policy's policyText, stay as AWS
//     wrote them in both forms.
//   - account_id and region fall back to the key's when the item has none
//     (the documentation examples have no awsRegion); the item's own value
//     wins otherwise, even when it differs from the key's.
//
// # Identity and dedupe
//
// A version is (account_id, region, resource_type, resource_id,
// capture_time, state_id). History files, snapshots and oversized-item
// objects repeat the same versions; the loader keeps one copy, the one from
// the lexically smallest key, which for one day is the ConfigHistory copy.
// So snapshot_id is set only on versions no history file delivered, and
// config_items cannot list a snapshot's contents (ingest_objects records the
// snapshot itself). Rows whose state_id is NULL (non-numeric ids) are
// grouped as equal by the dedupe pass, so the documentation's examples
// dedupe too.
//
// # Views
//
// config_state_at(ts) returns each resource's latest version captured at or
// before ts, leaving out resources whose latest version by then is a
// deletion (ResourceDeleted, ResourceDeletedNotRecorded); config_latest is
// the same over all time. Versions with status ResourceNotRecorded (the
// resource exists but its type is no longer recorded) are kept: their
// configuration is NULL, meaning unknown. Versions captured in the same
// millisecond are ordered by state_id.
package confighistory
