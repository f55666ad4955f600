// Package flowlogs ingests VPC Flow Logs (and transit gateway flow logs,
// which AWS delivers under the same prefix) into the vpc_flow table.
//
// Key layouts (a bucket prefix may come before AWSLogs/; hourly partitions
// add an hour segment):
//
//	AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]<account>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
//	AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=YYYY/month=MM/day=DD/[hour=HH/]<file>
//
// Objects are gzipped text or Parquet. The loader gunzips text and spools
// Parquet to a temporary file; Decode sees the plain text, or a body with
// random access (io.ReaderAt and source.Sizer) that starts with "PAR1".
//
// Text (text.go): the first line is a header naming the fields in the
// order the flow log's format puts them ("version account-id interface-id
// ..."). Every record is read by that header, so the default format, any
// custom format and any version's fields load; fields are bound to columns
// through the catalogue in fields.go (data, not code), and fields it does
// not know are kept in the extra column. "-" is NULL in any field. A header
// repeated later is ignored, a different one takes over from its line. A
// record with the wrong number of fields or a value of the wrong type is
// skipped and counted (with its line number in the sample messages), and
// the rest of the object loads.
//
// A file without a header (never delivered by AWS to S3, but common in
// other pipelines' fixtures) is read as AWS's default format when a line
// has 14 fields, and as "all fields up to version 5, 7 or 8" or the transit
// gateway default with 29, 39, 40 or 36 fields; each line is matched by its
// own count. A file whose first line is neither a header nor a record in
// one of those formats fails: "not a VPC flow log: ...".
//
// Transit gateway fields (tgw-id, packets-lost-*, ...) are kept in extra,
// not in columns of their own: every column costs ingest time even when it
// is NULL, and the table's detections read VPC flows (see fields.go).
//
// Parquet (parquet.go): columns are bound by name (account_id or
// account-id), in any order and any subset, and converted straight into the
// table's Arrow columns.
//
// NODATA and SKIPDATA records are kept: log_status says which, and the
// coverage figures count them. Flow records have no identity (two equal
// records in one object are two flows), so the table has no dedupe key:
// rows are only replaced when their object is loaded again.
package flowlogs
