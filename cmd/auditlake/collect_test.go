package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/internal/s3test"
)

// The collect tests talk to a recorded exchange: an httptest server that
// answers the IAM and STS Query APIs (form-encoded POSTs, XML answers shaped
// like the documented responses). No IAM-compatible server runs locally:
// MinIO has STS for its own users but no IAM Query API (GenerateCredentialReport,
// GetCredentialReport), and there is no container runtime here for
// LocalStack. The SDK is pointed at the fake through AWS_ENDPOINT_URL_IAM and
// AWS_ENDPOINT_URL_STS, exactly as a user would point it at another endpoint.

const (
	callerKey    = "AKIDCALLEREXAMPLE"
	callerSecret = "caller-secret-never-printed"
	roleToken    = "role-session-token-never-printed"
	roleSecret   = "role-secret-never-printed"
)

// fakeAWS is the IAM and STS side of AWS for a small organisation: the
// caller's account, a member account whose AuditReader role may be
// assumed, and one whose role may not.
type fakeAWS struct {
	srv       *httptest.Server
	generated time.Time
	accounts  map[string]string // access key -> account
	callerKey string

	mu       sync.Mutex
	calls    []string          // "account Action"
	polls    map[string]int    // GenerateCredentialReport calls per account
	sessions map[string]string // RoleSessionName per role assumed
	denyIAM  map[string]bool   // accounts whose IAM calls are denied
}

var accessKeyRE = regexp.MustCompile(`Credential=([^/]+)/`)

// newFakeAWS starts the fake; key is the caller's access key.
func newFakeAWS(t *testing.T, key string) *fakeAWS {
	f := &fakeAWS{
		generated: time.Date(2026, 11, 23, 8, 15, 42, 0, time.UTC),
		accounts:  map[string]string{key: "111122223333", "ASIAROLE444455556666": "444455556666"},
		callerKey: key,
		polls:     map[string]int{},
		sessions:  map[string]string{},
		denyIAM:   map[string]bool{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	m := accessKeyRE.FindStringSubmatch(r.Header.Get("Authorization"))
	acct := ""
	if m != nil {
		acct = f.accounts[m[1]]
	}
	action := r.PostForm.Get("Action")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, acct+" "+action)
	w.Header().Set("Content-Type", "text/xml")
	const iamNS, stsNS = "https://iam.amazonaws.com/doc/2010-05-08/", "https://sts.amazonaws.com/doc/2011-06-15/"
	meta := `<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>`
	deny := func(ns, msg string) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>%s</Message></Error><RequestId>4f0c0a6e-EXAMPLE</RequestId></ErrorResponse>`, ns, msg)
	}
	if acct == "" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>x</RequestId></ErrorResponse>`, stsNS)
		return
	}
	switch action {
	case "GetCallerIdentity":
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="%s"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/auditor</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult>%s</GetCallerIdentityResponse>`,
			stsNS, acct, acct, meta)
	case "AssumeRole":
		role := r.PostForm.Get("RoleArn")
		f.sessions[role] = r.PostForm.Get("RoleSessionName")
		if role != "arn:aws:iam::444455556666:role/AuditReader" {
			deny(stsNS, "User: arn:aws:iam::"+acct+":user/auditor is not authorized to perform: sts:AssumeRole on resource: "+role)
			return
		}
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="%s"><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::444455556666:assumed-role/AuditReader/%s</Arn><AssumedRoleId>AROAEXAMPLE:%s</AssumedRoleId></AssumedRoleUser>`+
			`<Credentials><AccessKeyId>ASIAROLE444455556666</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials></AssumeRoleResult>%s</AssumeRoleResponse>`,
			stsNS, sessionName, sessionName, roleSecret, roleToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), meta)
	case "GenerateCredentialReport":
		if f.denyIAM[acct] {
			deny(iamNS, "User: arn:aws:iam::"+acct+":user/auditor is not authorized to perform: iam:GenerateCredentialReport")
			return
		}
		// The first call starts the report, the second finds it done.
		f.polls[acct]++
		state, desc := "STARTED", "No report exists. Starting a new report generation task"
		if f.polls[acct] > 1 {
			state, desc = "COMPLETE", ""
		}
		fmt.Fprintf(w, `<GenerateCredentialReportResponse xmlns="%s"><GenerateCredentialReportResult><Description>%s</Description><State>%s</State></GenerateCredentialReportResult>%s</GenerateCredentialReportResponse>`,
			iamNS, desc, state, meta)
	case "GetCredentialReport":
		if f.polls[acct] < 2 {
			w.WriteHeader(http.StatusGone)
			fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>ReportInProgress</Code><Message>Report is being generated</Message></Error><RequestId>x</RequestId></ErrorResponse>`, iamNS)
			return
		}
		fmt.Fprintf(w, `<GetCredentialReportResponse xmlns="%s"><GetCredentialReportResult><Content>%s</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>%s</GeneratedTime></GetCredentialReportResult>%s</GetCredentialReportResponse>`,
			iamNS, base64.StdEncoding.EncodeToString([]byte(fakeReport(acct))), f.generated.Format(time.RFC3339), meta)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>%s</Message></Error></ErrorResponse>`, action)
	}
}

// fakeReport is an account's report as IAM returns it: no trailing newline.
func fakeReport(acct string) string {
	const header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
	rows := []string{header,
		"<root_account>,arn:aws:iam::" + acct + ":root,2019-03-01T09:00:00+00:00,not_supported,2026-10-02T07:12:44+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
		"alice,arn:aws:iam::" + acct + ":user/alice,2021-06-10T08:30:00+00:00,true,2026-11-20T17:01:02+00:00,2026-08-01T09:00:00+00:00,N/A,true,true,2026-09-01T10:00:00+00:00,2026-11-22T06:40:00+00:00,eu-west-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
	}
	if acct == "444455556666" {
		rows = append(rows, "ci,arn:aws:iam::"+acct+":user/ci,2022-03-03T03:03:03+00:00,false,N/A,N/A,N/A,false,true,2023-01-01T00:00:00+00:00,2026-11-23T01:00:00+00:00,us-east-1,sts,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
	}
	return strings.Join(rows, "\n")
}

// awsEnv points the SDK at the fake with the caller's static keys and
// shuts out the developer's own AWS configuration.
func (f *fakeAWS) awsEnv(t *testing.T, secret string) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": f.callerKey, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "",
		"AWS_ENDPOINT_URL_IAM": f.srv.URL, "AWS_ENDPOINT_URL_STS": f.srv.URL, "AWS_ENDPOINT_URL": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
	} {
		t.Setenv(k, v)
	}
	first := reportPollFirst
	reportPollFirst = 10 * time.Millisecond
	t.Cleanup(func() { reportPollFirst = first })
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCollectCredentialReportThenIngest(t *testing.T) {
	f := newFakeAWS(t, callerKey)
	f.awsEnv(t, callerSecret)
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	code, stdout, stderr := runCLI(t, "collect", "credential-report", "--out", archive,
		"--role-arn", "arn:aws:iam::444455556666:role/AuditReader", "--role-arn", "arn:aws:iam::777788889999:role/AuditReader")

	// Two accounts collected, the third role may not be assumed: partial.
	if code != exitPartial {
		t.Fatalf("exit %d, want %d (partial)\nstdout:\n%s\nstderr:\n%s", code, exitPartial, stdout, stderr)
	}
	for _, acct := range []string{"111122223333", "444455556666"} {
		key := "credential-reports/" + acct + "/2026-11-23T081542Z.csv"
		got, err := os.ReadFile(filepath.Join(archive, filepath.FromSlash(key)))
		if err != nil {
			t.Fatalf("%s not written: %v", key, err)
		}
		if string(got) != fakeReport(acct) {
			t.Errorf("%s is not byte-identical to IAM's report:\n%s", key, got)
		}
		if !strings.Contains(stdout, "/"+key+" (account "+acct) {
			t.Errorf("stdout does not report %s:\n%s", key, stdout)
		}
	}
	if !strings.Contains(stderr, "arn:aws:iam::777788889999:role/AuditReader: cannot assume the role: the caller needs sts:AssumeRole") {
		t.Errorf("stderr does not explain the refused role:\n%s", stderr)
	}
	for _, secret := range []string{callerSecret, roleSecret, roleToken} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("output shows a credential (%s)", secret)
		}
	}
	f.mu.Lock()
	if f.sessions["arn:aws:iam::444455556666:role/AuditReader"] != sessionName {
		t.Errorf("role sessions: %v", f.sessions)
	}
	// Each account's report was polled until complete, with the account's
	// own credentials.
	for _, acct := range []string{"111122223333", "444455556666"} {
		if f.polls[acct] != 2 || !slices.Contains(f.calls, acct+" GetCredentialReport") {
			t.Errorf("account %s: %d GenerateCredentialReport calls, calls %v", acct, f.polls[acct], f.calls)
		}
	}
	f.mu.Unlock()

	// What collect wrote, ingest loads.
	db := filepath.Join(dir, "test.duckdb")
	if code, out, errs := runCLI(t, "--db", db, "--quiet", "ingest", archive); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errs)
	}
	d, err := duck.Open(context.Background(), db, duck.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.Query(`SELECT account_id, generated_at_source, strftime(generated_at, '%Y-%m-%dT%H:%M:%S'), count(*) FROM credential_report GROUP BY ALL ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var acct, src, at string
		var n int
		if err := rows.Scan(&acct, &src, &at, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s %d", acct, src, at, n))
	}
	want := []string{"111122223333 key 2026-11-23T08:15:42 2", "444455556666 key 2026-11-23T08:15:42 3"}
	if !slices.Equal(got, want) {
		t.Errorf("credential_report: %v, want %v", got, want)
	}
}

func TestCollectCredentialReportAccessDenied(t *testing.T) {
	f := newFakeAWS(t, callerKey)
	f.awsEnv(t, callerSecret)
	f.denyIAM["111122223333"] = true
	code, stdout, stderr := runCLI(t, "collect", "credential-report", "--out", t.TempDir())
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr, "need iam:GenerateCredentialReport and iam:GetCredentialReport") || stdout != "" {
		t.Errorf("stdout %q, stderr:\n%s", stdout, stderr)
	}
}

func TestCollectCredentialReportUsage(t *testing.T) {
	for _, args := range [][]string{
		{"collect", "credential-report"},
		{"collect", "credential-report", "--out", "x", "--role-arn", "arn:aws:s3:::bucket"},
		{"collect", "credential-report", "--out", "x", "--wait", "0s"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, stderr)
		}
	}
}

// collect writes to S3 (MinIO) as well; ingest reads the reports back from
// the bucket. The caller's keys are MinIO's: the fake IAM does not check
// signatures, MinIO does.
func TestIntegrationCollectCredentialReportS3(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	f := newFakeAWS(t, s3test.AccessKey)
	f.awsEnv(t, s3test.SecretKey)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	out := "s3://" + bucket + "/archive"
	code, stdout, stderr := runCLI(t, "collect", "credential-report", "--out", out, "--role-arn", "arn:aws:iam::444455556666:role/AuditReader")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, acct := range []string{"111122223333", "444455556666"} {
		key := "archive/credential-reports/" + acct + "/2026-11-23T081542Z.csv"
		if !strings.Contains(stdout, "s3://"+bucket+"/"+key) {
			t.Errorf("stdout does not report %s:\n%s", key, stdout)
		}
		body, err := readObject(srv, bucket, key)
		if err != nil || body != fakeReport(acct) {
			t.Errorf("%s: %v\n%s", key, err, body)
		}
	}
	db := filepath.Join(t.TempDir(), "test.duckdb")
	if code, o, e := runCLI(t, "--db", db, "--quiet", "ingest", "s3://"+bucket+"/"); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s%s", code, o, e)
	}
	d, err := duck.Open(context.Background(), db, duck.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRow(`SELECT count(*) FROM credential_report WHERE generated_at_source = 'key'`).Scan(&n); err != nil || n != 5 {
		t.Errorf("credential_report: %d rows (%v), want 2 + 3", n, err)
	}
}

func readObject(srv *s3test.Server, bucket, key string) (string, error) {
	out, err := srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}
