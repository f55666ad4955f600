package credreport_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/internal/synth"
)

// Credential reports through the loader, with every source registered (no
// other source may claim a report): key layouts and content sniffing, the
// dedupe key, the views and the as-of macro detections use, and an
// incremental second run.

const header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
	"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
	"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
	"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

const (
	acctA = "111122223333"
	acctB = "444455556666"
	acctC = "777788889999"
)

// user is one report row: mfa, key 1 (rotated, used) and key 2 (rotated).
func user(acct, name string, mfa bool, key1Used, key2Rotated string) string {
	arn, pw, pwUsed, pwChanged, created := "arn:aws:iam::"+acct+":user/"+name, "true", "no_information", "2026-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"
	if name == "<root_account>" {
		arn, pw, pwChanged = "arn:aws:iam::"+acct+":root", "not_supported", "not_supported"
	}
	k1 := "false,N/A,N/A,N/A,N/A"
	if key1Used != "" {
		k1 = "true,2026-02-01T00:00:00+00:00," + key1Used + ",eu-west-1,s3"
	}
	k2 := "false,N/A,N/A,N/A,N/A"
	if key2Rotated != "" {
		k2 = "true," + key2Rotated + ",N/A,N/A,N/A"
	}
	return strings.Join([]string{name, arn, created, pw, pwUsed, pwChanged, "N/A", fmt.Sprint(mfa), k1, k2, "false,N/A,false,N/A"}, ",")
}

func report(rows ...string) string { return header + "\n" + strings.Join(rows, "\n") }

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for k, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func openDB(t *testing.T) *duck.DB {
	t.Helper()
	db, err := duck.Open(context.Background(), filepath.Join(t.TempDir(), "test.duckdb"), duck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func run(t *testing.T, db *duck.DB, dir string) *ingest.Summary {
	t.Helper()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Run(context.Background(), db, ingest.Config{Store: store, Workers: 3})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum
}

// query returns each row's columns joined by spaces (NULL as <nil>).
func query(t *testing.T, db *duck.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if tv, ok := v.(time.Time); ok {
				v = tv.UTC().Format("01-02T15:04")
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func wantRows(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRunCredentialReports(t *testing.T) {
	dir := t.TempDir()
	oct1 := report(user(acctA, "<root_account>", false, "", ""), user(acctA, "alice", true, "2026-09-30T10:00:00+00:00", ""), user(acctA, "bob", false, "", ""))
	writeFiles(t, dir, map[string][]byte{
		// Account A: three reports, the second gzipped, the third after
		// the question's time; bob gains a second key on 10-15.
		"credential-reports/" + acctA + "/2026-10-01T081500Z.csv": []byte(oct1),
		"credential-reports/" + acctA + "/2026-10-15T081500Z.csv.gz": gz(report(user(acctA, "<root_account>", false, "", ""),
			user(acctA, "alice", true, "2026-10-14T10:00:00+00:00", ""), user(acctA, "bob", false, "", "2026-10-14T09:00:00+00:00"))),
		"credential-reports/" + acctA + "/2026-11-01T081500Z.csv": []byte(report(user(acctA, "<root_account>", true, "", ""), user(acctA, "alice", true, "", ""))),
		// The 10-01 report again under a backup prefix: its rows are
		// duplicates; the copy whose key sorts first is kept.
		"backup/credential-reports/" + acctA + "/2026-10-01T081500Z.csv": []byte(oct1),
		// Account B: a date-only key (midnight UTC), after the question.
		"credential-reports/" + acctB + "/2026-10-20.csv": []byte(report(user(acctB, "<root_account>", true, "", ""))),
		// Account C: a key no layout knows, recognised by its content; the
		// account comes from the ARNs, the time from the comment line.
		"exports/iam/c.csv": []byte("# generated_at: 2026-10-10T12:00:00Z\n" + report(user(acctC, "<root_account>", false, "", ""), user(acctC, "dave", false, "2026-10-09T00:00:00+00:00", ""))),
		// Not a report, under the reports' folder: fails alone.
		"credential-reports/" + acctA + "/README.txt": []byte("reports are written by auditlake collect\n"),
	})
	db := openDB(t)
	sum := run(t, db, dir)
	if sum.Loaded != 6 || sum.Failed != 1 || sum.Skipped != 0 {
		t.Errorf("loaded %d, failed %d, skipped %d; want 6, 1, 0: %+v", sum.Loaded, sum.Failed, sum.Skipped, sum.Failures)
	}
	if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Key, "README.txt") || !strings.Contains(sum.Failures[0].Err, "not an IAM credential report") {
		t.Errorf("failures: %+v", sum.Failures)
	}
	if sum.Rows != 3+3+2+3+1+2 || sum.Duplicates != 3 {
		t.Errorf("rows %d, duplicates %d; want 14, 3", sum.Rows, sum.Duplicates)
	}

	// The table has exactly the contract's columns, in order.
	cols := query(t, db, `SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_name = 'credential_report' ORDER BY ordinal_position`)
	want := []string{"account_id VARCHAR", "generated_at TIMESTAMP WITH TIME ZONE", "generated_at_source VARCHAR", "user_name VARCHAR", "arn VARCHAR",
		"is_root BOOLEAN", "user_creation_time TIMESTAMP WITH TIME ZONE", "password_enabled BOOLEAN", "password_enabled_raw VARCHAR",
		"password_last_used TIMESTAMP WITH TIME ZONE", "password_last_used_raw VARCHAR", "password_last_changed TIMESTAMP WITH TIME ZONE",
		"password_last_changed_raw VARCHAR", "password_next_rotation TIMESTAMP WITH TIME ZONE", "password_next_rotation_raw VARCHAR", "mfa_active BOOLEAN"}
	for _, n := range []string{"1", "2"} {
		want = append(want, "access_key_"+n+"_active BOOLEAN", "access_key_"+n+"_last_rotated TIMESTAMP WITH TIME ZONE", "access_key_"+n+"_last_rotated_raw VARCHAR",
			"access_key_"+n+"_last_used_date TIMESTAMP WITH TIME ZONE", "access_key_"+n+"_last_used_date_raw VARCHAR",
			"access_key_"+n+"_last_used_region VARCHAR", "access_key_"+n+"_last_used_service VARCHAR")
	}
	want = append(want, "cert_1_active BOOLEAN", "cert_1_last_rotated TIMESTAMP WITH TIME ZONE", "cert_2_active BOOLEAN", "cert_2_last_rotated TIMESTAMP WITH TIME ZONE",
		"source_bucket VARCHAR", "source_key VARCHAR")
	wantRows(t, "credential_report columns", cols, want...)

	wantRows(t, "reports", query(t, db, `SELECT account_id, generated_at, generated_at_source, count(*), min(source_key) FROM credential_report GROUP BY ALL ORDER BY ALL`),
		acctA+" 10-01T08:15 key 3 backup/credential-reports/"+acctA+"/2026-10-01T081500Z.csv",
		acctA+" 10-15T08:15 key 3 credential-reports/"+acctA+"/2026-10-15T081500Z.csv.gz",
		acctA+" 11-01T08:15 key 2 credential-reports/"+acctA+"/2026-11-01T081500Z.csv",
		acctB+" 10-20T00:00 key_date 1 credential-reports/"+acctB+"/2026-10-20.csv",
		acctC+" 10-10T12:00 comment 2 exports/iam/c.csv")

	wantRows(t, "credential_report_latest", query(t, db, `SELECT account_id, generated_at, user_name, is_root, mfa_active FROM credential_report_latest ORDER BY ALL`),
		acctA+" 11-01T08:15 <root_account> true true",
		acctA+" 11-01T08:15 alice false true",
		acctB+" 10-20T00:00 <root_account> true true",
		acctC+" 10-10T12:00 <root_account> true false",
		acctC+" 10-10T12:00 dave false false")

	// As of 16 October: A's 10-15 report, C's; B had none yet.
	asOf := `SELECT account_id, generated_at, user_name FROM credential_report_as_of(TIMESTAMPTZ '2026-10-16 00:00:00+00') ORDER BY ALL`
	wantRows(t, "credential_report_as_of(10-16)", query(t, db, asOf),
		acctA+" 10-15T08:15 <root_account>", acctA+" 10-15T08:15 alice", acctA+" 10-15T08:15 bob",
		acctC+" 10-10T12:00 <root_account>", acctC+" 10-10T12:00 dave")
	// At the instant of generation the report counts; just before, the
	// previous one.
	wantRows(t, "as of the generation instant", query(t, db, `SELECT DISTINCT generated_at FROM credential_report_as_of(CAST(? AS TIMESTAMPTZ)) WHERE account_id = ?`, "2026-10-15 08:15:00+00", acctA), "10-15T08:15")
	wantRows(t, "just before it", query(t, db, `SELECT DISTINCT generated_at FROM credential_report_as_of(CAST(? AS TIMESTAMPTZ)) WHERE account_id = ?`, "2026-10-15 08:14:59.999999+00", acctA), "10-01T08:15")
	wantRows(t, "before any report", query(t, db, `SELECT count(*) FROM credential_report_as_of(TIMESTAMPTZ '2026-09-01 00:00:00+00')`), "0")

	// iam_access_keys: two slots per user and report.
	wantRows(t, "iam_access_keys size", query(t, db, `SELECT (SELECT count(*) FROM iam_access_keys) = 2 * (SELECT count(*) FROM credential_report)`), "true")
	wantRows(t, "bob's keys", query(t, db, `SELECT generated_at, key_slot, active, last_rotated, last_used_date, last_used_date_raw, last_used_region, last_used_service
FROM iam_access_keys WHERE user_name = 'bob' ORDER BY ALL`),
		"10-01T08:15 1 false <nil> <nil> N/A <nil> <nil>",
		"10-01T08:15 2 false <nil> <nil> N/A <nil> <nil>",
		"10-15T08:15 1 false <nil> <nil> N/A <nil> <nil>",
		"10-15T08:15 2 true 10-14T09:00 <nil> N/A <nil> <nil>")
	wantRows(t, "alice's used key", query(t, db, `SELECT generated_at, last_used_date, last_used_region, last_used_service, source_key FROM iam_access_keys
WHERE user_name = 'alice' AND key_slot = 1 AND active ORDER BY ALL`),
		"10-01T08:15 09-30T10:00 eu-west-1 s3 backup/credential-reports/"+acctA+"/2026-10-01T081500Z.csv",
		"10-15T08:15 10-14T10:00 eu-west-1 s3 credential-reports/"+acctA+"/2026-10-15T081500Z.csv.gz")

	// The manifest has the account and day from the content for the
	// sniffed report.
	wantRows(t, "manifest", query(t, db, `SELECT key, log_type, status, rows, account_id, day FROM ingest_objects WHERE key LIKE 'exports/%'`),
		"exports/iam/c.csv credential_report loaded 2 "+acctC+" 10-10T00:00")

	// A second run reads nothing and changes nothing.
	before := query(t, db, "SELECT * FROM credential_report ORDER BY ALL")
	again := run(t, db, dir)
	if again.Loaded != 0 || again.Rows != 0 || again.Duplicates != 0 {
		t.Errorf("second run loaded %d objects, %d rows, removed %d", again.Loaded, again.Rows, again.Duplicates)
	}
	wantRows(t, "after a second run", query(t, db, "SELECT * FROM credential_report ORDER BY ALL"), before...)

	// A new report is loaded alone; nothing is loaded twice.
	writeFiles(t, dir, map[string][]byte{"credential-reports/" + acctB + "/2026-11-02T000000Z.csv": []byte(report(user(acctB, "<root_account>", true, "", "")))})
	third := run(t, db, dir)
	if third.Loaded != 1 || third.Rows != 1 {
		t.Errorf("third run loaded %d objects, %d rows; want 1, 1", third.Loaded, third.Rows)
	}
	wantRows(t, "rows held twice", query(t, db, `SELECT count(*) FROM (SELECT 1 FROM credential_report GROUP BY account_id, generated_at, user_name HAVING count(*) > 1)`), "0")
	wantRows(t, "row count", query(t, db, `SELECT count(*) FROM credential_report`), "12")
}

// The synthetic organisation's reports load whole: one row per data line
// of every report, per account and report.
func TestRunSynthCredentialReports(t *testing.T) {
	dir := t.TempDir()
	cfg := synth.Config{Seed: 7, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Days: 9, Accounts: 3, Regions: []string{"us-east-1"},
		CredentialReports: true, Incidents: true}
	m, err := synth.Generate(context.Background(), cfg, synth.DirWriter(dir))
	if err != nil {
		t.Fatal(err)
	}
	// What the files hold, by account and key date.
	var want []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, rerr := os.ReadFile(p)
		if rerr != nil {
			return rerr
		}
		rel, _ := filepath.Rel(dir, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) < 3 || parts[len(parts)-3] != "credential-reports" {
			t.Errorf("synth wrote %s, not a credential report key", rel)
			return nil
		}
		lines := strings.Count(strings.TrimRight(string(b), "\n"), "\n") // data lines: all but the header
		want = append(want, fmt.Sprintf("%s %s %d", parts[len(parts)-2], strings.TrimSuffix(parts[len(parts)-1], ".csv"), lines))
		return nil
	})
	slices.Sort(want)
	if len(want) != cfg.Accounts*2 {
		t.Fatalf("synth wrote %d reports, want 2 per account: %v", len(want), want)
	}
	db := openDB(t)
	sum := run(t, db, dir)
	if sum.Failed != 0 || sum.SkippedRecords != 0 || sum.Rows != m.CredentialReportRows {
		t.Errorf("failed %d, skipped records %d, rows %d; synth wrote %d rows: %+v", sum.Failed, sum.SkippedRecords, sum.Rows, m.CredentialReportRows, sum.Failures)
	}
	got := query(t, db, `SELECT account_id || ' ' || strftime(generated_at, '%Y-%m-%d') || ' ' || n FROM (
  SELECT account_id, generated_at, count(*) AS n FROM credential_report WHERE generated_at_source = 'key_date' GROUP BY ALL
) ORDER BY 1`)
	wantRows(t, "rows per account and report", got, want...)
	// Every report has one root row, and the ARNs agree with the account.
	wantRows(t, "root rows per report", query(t, db, `SELECT DISTINCT count(*) FILTER (is_root) FROM credential_report GROUP BY account_id, generated_at`), "1")
	wantRows(t, "ARNs of another account", query(t, db, `SELECT count(*) FROM credential_report WHERE NOT starts_with(arn, 'arn:aws:iam::' || account_id || ':')`), "0")
}
