package credreport

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/auditlake/auditlake/ingest/source"
)

// kind is how a column's values are read from the report's text.
type kind uint8

const (
	kString kind = iota // text; N/A is NULL
	kBool               // true/false; N/A, not_supported ... are NULL
	kTime               // ISO 8601 time; N/A, not_supported, no_information are NULL
	kRaw                // the CSV text as it is (the *_raw columns)
)

// column is one column of the table and, for columns read from the
// report, the CSV field it comes from.
type column struct {
	name  string
	kind  kind
	field string // CSV header name; "" for columns the decoder derives
	doc   string
}

// Column positions the decoder fills itself.
const (
	colAccount = iota
	colGeneratedAt
	colGeneratedAtSource
	colUser
	colARN
	colIsRoot
)

// columns is the credential_report table (docs: the contract in
// docs/SCHEMA.md; detections are written against exactly these names).
// Every *_raw column holds the field's text whatever it is, so the
// difference between "never used" (no_information) and "no password" (N/A)
// survives the typed column's NULL.
var columns = []column{
	colAccount:           {"account_id", kString, "", "account the report is of: from the users' ARNs, else from the key"},
	colGeneratedAt:       {"generated_at", kTime, "", "when IAM generated the report (see generated_at_source)"},
	colGeneratedAtSource: {"generated_at_source", kString, "", "where generated_at comes from: 'key' (a full timestamp in the object key, as `auditlake collect` writes it), 'comment' (a `# generated_at:` line before the header), 'key_date' (only a date in the key: midnight UTC of that date)"},
	colUser:              {"user_name", kString, "user", "IAM user name; '<root_account>' for the root user (also when a report spells it root_account)"},
	colARN:               {"arn", kString, "arn", "the user's ARN (arn:aws:iam::<account>:root for the root user)"},
	colIsRoot:            {"is_root", kBool, "", "the row is the account's root user"},
	{"user_creation_time", kTime, "user_creation_time", "when the user was created"},
	{"password_enabled", kBool, "password_enabled", "the user has a console password; NULL for the root user (not_supported)"},
	{"password_enabled_raw", kRaw, "password_enabled", "password_enabled as the report writes it"},
	{"password_last_used", kTime, "password_last_used", "last console sign-in with the password; NULL when never used or no password"},
	{"password_last_used_raw", kRaw, "password_last_used", "as written: a time, 'no_information' (not used since October 2014, when IAM began tracking) or 'N/A' (no password)"},
	{"password_last_changed", kTime, "password_last_changed", "when the password was last set"},
	{"password_last_changed_raw", kRaw, "password_last_changed", "as written ('N/A', 'not_supported' for root)"},
	{"password_next_rotation", kTime, "password_next_rotation", "when the password policy requires the next change"},
	{"password_next_rotation_raw", kRaw, "password_next_rotation", "as written ('N/A' without a rotation policy, 'not_supported' for root)"},
	{"mfa_active", kBool, "mfa_active", "an MFA device is enabled for the user"},
	{"access_key_1_active", kBool, "access_key_1_active", "access key 1 exists and is active"},
	{"access_key_1_last_rotated", kTime, "access_key_1_last_rotated", "when access key 1 was created or last rotated"},
	{"access_key_1_last_rotated_raw", kRaw, "access_key_1_last_rotated", "as written ('N/A': no key)"},
	{"access_key_1_last_used_date", kTime, "access_key_1_last_used_date", "last use of access key 1 (NULL in the 16-column format, which lacks it)"},
	{"access_key_1_last_used_date_raw", kRaw, "access_key_1_last_used_date", "as written ('N/A': no key, or never used)"},
	{"access_key_1_last_used_region", kString, "access_key_1_last_used_region", "Region of the last use of access key 1; NULL for N/A"},
	{"access_key_1_last_used_service", kString, "access_key_1_last_used_service", "service of the last use of access key 1; NULL for N/A"},
	{"access_key_2_active", kBool, "access_key_2_active", "access key 2 exists and is active"},
	{"access_key_2_last_rotated", kTime, "access_key_2_last_rotated", "when access key 2 was created or last rotated"},
	{"access_key_2_last_rotated_raw", kRaw, "access_key_2_last_rotated", "as written ('N/A': no key)"},
	{"access_key_2_last_used_date", kTime, "access_key_2_last_used_date", "last use of access key 2"},
	{"access_key_2_last_used_date_raw", kRaw, "access_key_2_last_used_date", "as written ('N/A': no key, or never used)"},
	{"access_key_2_last_used_region", kString, "access_key_2_last_used_region", "Region of the last use of access key 2; NULL for N/A"},
	{"access_key_2_last_used_service", kString, "access_key_2_last_used_service", "service of the last use of access key 2; NULL for N/A"},
	{"cert_1_active", kBool, "cert_1_active", "signing certificate 1 exists and is active"},
	{"cert_1_last_rotated", kTime, "cert_1_last_rotated", "when signing certificate 1 was created or last rotated"},
	{"cert_2_active", kBool, "cert_2_active", "signing certificate 2 exists and is active"},
	{"cert_2_last_rotated", kTime, "cert_2_last_rotated", "when signing certificate 2 was created or last rotated"},
}

var numColumns = len(columns)

func arrowType(k kind) arrow.DataType {
	switch k {
	case kBool:
		return arrow.FixedWidthTypes.Boolean
	case kTime:
		return source.Timestamp
	}
	return arrow.BinaryTypes.String
}

var table = func() *source.Table {
	cols := make([]source.Column, len(columns))
	for i, c := range columns {
		cols[i] = source.Column{Name: c.name, Type: arrowType(c.kind), Doc: c.doc}
	}
	return &source.Table{
		Name: "credential_report",
		Doc: "One row per user per IAM credential report (the root user included), from the CSV that GetCredentialReport returns, " +
			"in the current 22-column format or the older 16-column one. Values such as N/A, not_supported and no_information are NULL " +
			"in the typed columns and kept as written in the *_raw columns.",
		Columns: cols,
		Key:     []string{"account_id", "generated_at", "user_name"},
		Time:    "generated_at",
		Views: []source.View{
			{
				Name: "credential_report_latest",
				Doc:  "The rows of each account's latest credential report. Use `credential_report_as_of(ts)` for the reports current at another time.",
				SQL: `SELECT * FROM credential_report
QUALIFY generated_at = max(generated_at) OVER (PARTITION BY account_id)`,
			},
			{
				Name: "iam_access_keys",
				Doc: "One row per user, access key slot (key_slot 1 or 2) and report: the key's state as the report shows it. " +
					"A slot without a key has active false and last_rotated NULL.",
				SQL: accessKeySlot(1) + "\nUNION ALL\n" + accessKeySlot(2),
			},
		},
		DDL: []string{
			`-- credential_report_as_of(ts): the rows of each account's latest credential
-- report generated at or before ts.
--   SELECT * FROM credential_report_as_of(TIMESTAMPTZ '2026-11-01 00:00:00+00') WHERE NOT mfa_active
CREATE OR REPLACE MACRO credential_report_as_of(ts) AS TABLE
SELECT * FROM credential_report
WHERE generated_at <= CAST(ts AS TIMESTAMPTZ)
QUALIFY generated_at = max(generated_at) OVER (PARTITION BY account_id)`,
		},
	}
}()

func accessKeySlot(n int) string {
	p := "access_key_" + string(rune('0'+n)) + "_"
	return `SELECT account_id, generated_at, user_name, arn, ` + string(rune('0'+n)) + ` AS key_slot,
  ` + p + `active AS active, ` + p + `last_rotated AS last_rotated, ` + p + `last_used_date AS last_used_date,
  ` + p + `last_used_date_raw AS last_used_date_raw, ` + p + `last_used_region AS last_used_region,
  ` + p + `last_used_service AS last_used_service, source_bucket, source_key
FROM credential_report`
}

// Table describes the credential_report table.
func Table() *source.Table { return table }
