// Package credreport ingests IAM credential reports into the
// credential_report table: one row per user (the root user included) per
// report.
//
// A credential report is the CSV that iam:GetCredentialReport returns. The
// current format has 22 columns (user,arn,user_creation_time,
// password_enabled,...,cert_2_last_rotated); reports from before 2015 have
// 16, without access_key_N_last_used_{date,region,service}. Columns are
// bound by header name, so either format, another column order, or columns
// this version does not know (ignored) load. A header without user and arn
// is not a report ("not an IAM credential report"); one lacking any of the
// 16 older columns is an error naming them. A UTF-8 byte order mark, CRLF
// line ends, quoted fields, blank lines and # comment lines are accepted.
//
// Key layout (any prefix before credential-reports/; .csv.gz is gunzipped
// by the loader):
//
//	credential-reports/<account>/<YYYY-MM-DDTHHMMSSZ>.csv   what `auditlake collect credential-report` writes
//	credential-reports/<account>/<YYYY-MM-DD>.csv           date only (the synthetic archive)
//	credential-reports/<account>/<any name>
//
// A CSV anywhere else is recognised by its header.
//
// The report does not say when it was generated, nor (except in its ARNs)
// for which account, so:
//
//   - generated_at comes from a full UTC timestamp in the key
//     (generated_at_source 'key'), else from a "# generated_at: <ISO 8601>"
//     line before the header ('comment'), else from a YYYY-MM-DD date in the
//     key, read as midnight UTC of that day ('key_date'). The last match in
//     the key wins. Without any of these the object fails with a message
//     saying how to name it. (The object's LastModified would be a fourth
//     fallback, 'object', but the loader does not pass it to decoders yet.)
//   - account_id is the account of the first ARN (arn:aws:iam::<account>:...),
//     else the key's <account> folder. A row whose ARN names another
//     account is skipped and counted.
//
// Values: N/A, not_supported and no_information are NULL in typed columns
// (BOOLEAN, TIMESTAMPTZ, and the region and service of a key's last use);
// every *_raw column holds the field exactly as written, so "never used"
// (no_information) and "no password" (N/A) stay apart. The root user is
// named '<root_account>' and has is_root true, also when a report spells it
// root_account (PowerShell's output does) or only its ARN ends in :root.
//
// Bad rows are skipped and counted, with their line numbers in the sample
// messages, and the rest of the report loads: a wrong number of fields (a
// truncated last line), a value that is neither what its column holds nor
// one of the words above, an unclosed quote. An object with no header at
// all (empty, blank lines only) fails.
//
// Dedupe key: (account_id, generated_at, user_name): the same report stored
// twice keeps one copy. Views credential_report_latest and iam_access_keys
// and the table macro credential_report_as_of(ts) are what detections read.
package credreport
