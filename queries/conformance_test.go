package queries

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/go-cmp/cmp"

	"github.com/auditlake/auditlake/ingest/cloudtrail"
	"github.com/auditlake/auditlake/ingest/source"
	"github.com/auditlake/auditlake/internal/duck"
)

// corpusDir is ../shared/corpus next to the repository, or
// $AUDITLAKE_CORPUS. Tests that need it skip when it is absent.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "peer-detections", "panther-analysis")); err != nil {
		t.Skipf("public sample corpus not found at %s (set AUDITLAKE_CORPUS)", dir)
	}
	return dir
}

// pantherRules maps the Panther rules that watch the same behaviour as a
// detection of the cloudtrail pack to that detection.
var pantherRules = []struct{ rule, detection string }{
	{"AWS.Root.Activity", "ct_root_account_usage"},
	{"AWS.Console.RootLogin", "ct_root_account_usage"},
	{"AWS.Console.LoginWithoutMFA", "ct_console_login_without_mfa"},
	{"AWS.Console.RootLoginFailed", "ct_console_login_failures"},
	{"Standard.BruteForceByUser", "ct_console_login_failures"},
	{"AWS.CloudTrail.UnauthorizedAPICall", "ct_unauthorized_api_calls"},
	{"AWS.IAMUser.ReconAccessDenied", "ct_unauthorized_api_calls"},
	{"AWS.IAM.PolicyModified", "ct_iam_policy_change"},
	{"AWS.CloudTrail.Stopped", "ct_cloudtrail_config_change"},
	{"AWS.CloudTrail.Created", "ct_cloudtrail_config_change"},
	{"AWS.KMS.CustomerManagedKeyLoss", "ct_kms_key_disabled_or_deleted"},
	{"AWS.S3.BucketPolicyModified", "ct_s3_bucket_policy_change"},
	{"AWS.ConfigService.DisabledDeleted", "ct_config_change"},
	{"AWS.EC2.SecurityGroupModified", "ct_security_group_change"},
	{"AWS.EC2.NetworkACLModified", "ct_nacl_change"},
	{"AWS.CloudTrail.NetworkACLPermissiveEntry", "ct_nacl_change"},
	{"AWS.EC2.GatewayModified", "ct_network_gateway_change"},
	{"AWS.EC2.RouteTableModified", "ct_route_table_change"},
	{"AWS.EC2.VPCModified", "ct_vpc_change"},
	{"AWS.CloudTrail.AttemptToLeaveOrg", "ct_organizations_change"},
	{"AWS.IAM.Backdoor.User.Keys", "ct_access_key_created_for_other_user"},
}

// pantherReasons explain, per rule and test name, why our detection's
// verdict differs from the Panther test's expectation. The test fails on
// a disagreement without a reason, and on a reason no longer needed.
var pantherReasons = map[string]string{
	"AWS.Root.Activity / Root Activity - CreateServiceLinkedRole":                       "Panther leaves out CreateServiceLinkedRole; CIS 4.3 counts every call the root user makes itself (no invokedBy, not a service event), whatever the call",
	"AWS.Root.Activity / Root Read-Only Enumeration":                                    "Panther leaves out read-only calls; CIS 4.3 counts every use of the root user, reads included",
	"AWS.Console.LoginWithoutMFA / No MFA Login - Root User":                            "CIS v3.0 4.2 restricts the filter to userIdentity.type IAMUser; a root sign-in is reported by ct_root_account_usage (and a root user without MFA by iam_root_mfa_disabled)",
	"AWS.Console.LoginWithoutMFA / MFA Login - SAML":                                    "Panther skips sign-ins carrying a SamlProviderArn; the CIS 4.2 filter has no such exception and the event is an IAMUser sign-in with MFAUsed No",
	"AWS.Console.LoginWithoutMFA / No MFA Login - New User":                             "Panther suppresses sign-ins of recently created users through a mocked account-age helper; the CIS 4.2 filter has no such exception",
	"AWS.Console.RootLoginFailed / Failed Root Login":                                   "the test event marks the failure only in responseElements.ConsoleLogin and has no errorMessage; AWS writes errorMessage \"Failed authentication\" on failed sign-ins, which is what the CIS 4.6 filter (and this detection) match",
	"Standard.BruteForceByUser / AWS.CloudTrail - Failed Login":                         "the test event marks the failure only in responseElements.ConsoleLogin and has no errorMessage; AWS writes errorMessage \"Failed authentication\" on failed sign-ins, which is what the CIS 4.6 filter (and this detection) match",
	"AWS.CloudTrail.UnauthorizedAPICall / Unauthorized API Call from Within AWS (FQDN)": "Panther ignores denials whose source is an AWS service name; CIS 4.1 only leaves out delivery.logs.amazonaws.com (and HeadBucket), so other AWS-internal denials count",
	"AWS.IAMUser.ReconAccessDenied / Unauthorized API Call from Within AWS (FQDN)":      "Panther ignores denials whose source is an AWS service name; CIS 4.1 only leaves out delivery.logs.amazonaws.com (and HeadBucket), so other AWS-internal denials count",
	"AWS.IAMUser.ReconAccessDenied / Unauthorized API Call - From AWS console":          "Panther's reconnaissance rule leaves out denials in console sessions; CIS 4.1 counts every AccessDenied or UnauthorizedOperation error",
	"AWS.IAM.PolicyModified / IAM Policy Change Error":                                  "Panther only alerts on calls that succeeded; the CIS 4.4 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to change a policy is worth an auditor's look",
	"AWS.CloudTrail.Stopped / CloudTrail Was Started":                                   "Panther's rule covers only StopLogging and DeleteTrail; the CIS 4.5 filter also lists CreateTrail, UpdateTrail and StartLogging (Panther splits those into AWS.CloudTrail.Created)",
	"AWS.CloudTrail.Stopped / Error Stopping CloudTrail":                                "Panther only alerts on calls that succeeded; the CIS 4.5 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to stop the audit trail is worth an auditor's look",
	"AWS.CloudTrail.Created / Error Creating CloudTrail":                                "Panther only alerts on calls that succeeded; the CIS 4.5 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to change the audit trail is worth an auditor's look",
	"AWS.KMS.CustomerManagedKeyLoss / KMS Disable Key Error":                            "Panther only alerts on calls that succeeded; the CIS 4.7 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to disable a key is worth an auditor's look",
	"AWS.S3.BucketPolicyModified / S3 Bucket Policy Modified Error Response":            "Panther only alerts on calls that succeeded; the CIS 4.8 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to change a bucket policy is worth an auditor's look",
	"AWS.ConfigService.DisabledDeleted / Config Recorder Delivery Channel Created":      "Panther's rule covers only StopConfigurationRecorder and DeleteDeliveryChannel; the CIS 4.9 filter also lists PutDeliveryChannel and PutConfigurationRecorder, since redirecting delivery is as harmful as stopping it",
	"AWS.ConfigService.DisabledDeleted / Error Deleting Config Recorder":                "Panther only alerts on calls that succeeded; the CIS 4.9 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to stop or remove AWS Config is worth an auditor's look",
	"AWS.EC2.SecurityGroupModified / Error Mofidying Security Group":                    "Panther only alerts on calls that succeeded; the CIS 4.10 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to change a security group is worth an auditor's look",
	"AWS.EC2.NetworkACLModified / Error Modifying Network ACL":                          "Panther only alerts on calls that succeeded; the CIS 4.11 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to change a network ACL is worth an auditor's look",
	"AWS.CloudTrail.NetworkACLPermissiveEntry / Not Overly Permissive Entry Added":      "Panther's rule looks only for allow entries from 0.0.0.0/0; ct_nacl_change follows CIS 4.11 and reports every network ACL change, permissive or not",
	"AWS.CloudTrail.NetworkACLPermissiveEntry / Error Adding Overly Permissive Entry":   "Panther only alerts on calls that succeeded; the CIS 4.11 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to open a network ACL is worth an auditor's look",
	"AWS.EC2.GatewayModified / Error Modifying Network Gateway":                         "Panther only alerts on calls that succeeded; the CIS 4.12 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to change a gateway is worth an auditor's look",
	"AWS.EC2.RouteTableModified / Error Modifying Route Table":                          "Panther only alerts on calls that succeeded; the CIS 4.13 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to change routing is worth an auditor's look",
	"AWS.EC2.VPCModified / Error Modifying VPC":                                         "Panther only alerts on calls that succeeded; the CIS 4.14 metric filter (and so this detection) counts refused attempts too, and reports them with their error code in details.failed_calls and error_codes: an attempt to change a VPC is worth an auditor's look",
}

type pantherFile struct {
	Rule      string  `json:"rule"`
	Source    string  `json:"source"`
	Threshold float64 `json:"threshold"`
	Tests     []struct {
		Name     string          `json:"name"`
		Expected bool            `json:"expected"`
		Event    json.RawMessage `json:"event"`
		Mocks    json.RawMessage `json:"mocks"`
	} `json:"tests"`
}

type conformanceCase struct {
	Name             string
	Expected, Got    bool
	Mocked           bool
	Normalised       []string
	DecodeNote       string
	Reason           string
	PantherThreshold float64
}

// pantherEvent prepares a Panther test event for our decoder: a unique
// eventID (Panther's tests reuse "1" or leave it out, and the loader keeps
// one event per id) and an RFC 3339 eventTime (some tests have none or
// Panther's normalised "2024-06-02 20:16:32.000000000"). It returns what it
// changed.
func pantherEvent(raw json.RawMessage, id string) ([]byte, []string, error) {
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, nil, err
	}
	var changed []string
	ev["eventID"] = id
	switch t, _ := ev["eventTime"].(string); {
	case t == "":
		ev["eventTime"] = "2024-01-01T00:00:00Z"
		changed = append(changed, "eventTime added")
	default:
		if _, err := time.Parse(time.RFC3339Nano, t); err != nil {
			if p, err := time.Parse("2006-01-02 15:04:05.999999999", t); err == nil {
				ev["eventTime"] = p.UTC().Format(time.RFC3339Nano)
				changed = append(changed, "eventTime made RFC 3339")
			}
		}
	}
	b, err := json.Marshal(map[string]any{"Records": []any{ev}})
	return b, changed, err
}

// TestPantherConformance runs the test events of the Panther rules that
// cover the same behaviour as our CloudTrail detections through our
// decoder and detection, and compares the verdicts. docs/CONFORMANCE.md
// lists the results; -update rewrites it.
func TestPantherConformance(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "peer-detections", "panther-analysis")
	ctx := context.Background()
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := OpenScratch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := (&duck.DB{DB: db}).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	src := cloudtrail.New()
	schema := src.Table().Schema()
	ws := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	we := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

	results := map[string][]conformanceCase{}
	usedReasons := map[string]bool{}
	for _, pr := range pantherRules {
		d, ok := cat.Detection(pr.detection)
		if !ok {
			t.Fatalf("no detection %s", pr.detection)
		}
		b, err := os.ReadFile(filepath.Join(dir, pr.rule+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var pf pantherFile
		if err := json.Unmarshal(b, &pf); err != nil {
			t.Fatalf("%s: %v", pr.rule, err)
		}
		for i, tc := range pf.Tests {
			id := fmt.Sprintf("panther-%s-%d", pr.rule, i+1)
			body, changed, err := pantherEvent(tc.Event, id)
			if err != nil {
				t.Fatalf("%s %q: %v", pr.rule, tc.Name, err)
			}
			if _, err := db.ExecContext(ctx, "DELETE FROM cloudtrail"); err != nil {
				t.Fatal(err)
			}
			var batches []arrow.RecordBatch
			st, err := src.Decode(ctx, source.Object{Key: id, Kind: "cloudtrail"}, bytes.NewReader(body), func(b arrow.RecordBatch) error {
				batches = append(batches, b)
				return nil
			})
			c := conformanceCase{Name: tc.Name, Expected: tc.Expected, Mocked: len(tc.Mocks) > 0 && string(tc.Mocks) != "null", Normalised: changed, PantherThreshold: pf.Threshold}
			switch {
			case err != nil:
				c.DecodeNote = "decoder rejected the event: " + err.Error()
			case st.Skipped > 0:
				c.DecodeNote = "decoder skipped the event: " + strings.Join(st.Samples, "; ")
			}
			if len(batches) > 0 {
				if _, err := conn.ExecArrow(ctx, "panther_rows", schema, batches,
					"INSERT INTO cloudtrail SELECT *, 'panther' AS source_bucket, '"+id+"' AS source_key FROM panther_rows"); err != nil {
					t.Fatalf("%s %q: insert: %v", pr.rule, tc.Name, err)
				}
			}
			for _, b := range batches {
				b.Release()
			}
			hasData, err := sourcesWithData(ctx, db, []*Detection{d}, ws, we)
			if err != nil {
				t.Fatal(err)
			}
			r := evaluateOne(ctx, db, d, ws, we, nil, hasData, time.Minute, time.Now)
			if r.Status == StatusError {
				t.Fatalf("%s %q: %s: %s", pr.rule, tc.Name, d.ID, r.Error)
			}
			c.Got = len(r.Findings) > 0
			if c.Got != c.Expected {
				key := pr.rule + " / " + tc.Name
				c.Reason = pantherReasons[key]
				usedReasons[key] = true
				if c.Reason == "" {
					t.Errorf("%s: Panther expects %v, %s gives %v, and pantherReasons does not say why (event %s)", key, c.Expected, d.ID, c.Got, body)
				}
			}
			results[pr.rule] = append(results[pr.rule], c)
		}
	}
	for key := range pantherReasons {
		if !usedReasons[key] {
			t.Errorf("pantherReasons[%q] explains a disagreement that no longer happens", key)
		}
	}

	got := conformanceMarkdown(results)
	path := filepath.Join("..", "docs", "CONFORMANCE.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go test -tags duckdb_arrow ./queries -run TestPantherConformance -update", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("docs/CONFORMANCE.md is stale; run go test -tags duckdb_arrow ./queries -run TestPantherConformance -update (-file +generated):\n%s", diff)
	}
}

func conformanceMarkdown(results map[string][]conformanceCase) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Conformance with peer detections\n\n")
	w("Generated by `go test -tags duckdb_arrow ./queries -run TestPantherConformance -update` from the public sample corpus (`../shared/corpus/peer-detections/panther-analysis`, Apache-2.0); do not edit by hand.\n\n")
	w("[Panther](https://github.com/panther-labs/panther-analysis)'s CloudTrail rules come with test events, each with the verdict the rule must give. For every Panther rule that watches the same behaviour as one of our CloudTrail detections, each test event goes through our CloudTrail decoder (wrapped in `{\"Records\": [...]}`, as AWS delivers it) into an empty database, our detection runs over it, and its verdict (a finding or none) is compared with Panther's expectation.\n\n")
	w("Two things are changed in the events, only so that our loader accepts them as AWS would have written them: every event gets a unique `eventID` (Panther's tests reuse `\"1\"` or omit it, and our table keeps one event per id), and an `eventTime` that is missing or in Panther's normalised form (`2024-06-02 20:16:32.000000000`) is set to RFC 3339. Panther thresholds (alert after N matches) are ignored: the comparison is per event, as Panther's own tests are. Tests marked *mocked* assume a Panther helper's mocked value (account age, allow lists).\n\n")
	w("| Panther rule | our detection | tests | agree | differ |\n|---|---|---|---|---|\n")
	totalT, totalA := 0, 0
	for _, pr := range pantherRules {
		cs := results[pr.rule]
		a := 0
		for _, c := range cs {
			if c.Got == c.Expected {
				a++
			}
		}
		totalT += len(cs)
		totalA += a
		w("| [%s](#%s) | `%s` | %d | %d | %d |\n", pr.rule, anchor(pr.rule), pr.detection, len(cs), a, len(cs)-a)
	}
	w("| **total** | | %d | %d | %d |\n\n", totalT, totalA, totalT-totalA)
	for _, pr := range pantherRules {
		w("## %s\n\nCompared with `%s`.\n\n", pr.rule, pr.detection)
		cs := results[pr.rule]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
		w("| test | Panther | auditlake | notes |\n|---|---|---|---|\n")
		for _, c := range cs {
			var notes []string
			if c.Got != c.Expected {
				notes = append(notes, "**differs**: "+c.Reason)
			}
			if c.Mocked {
				notes = append(notes, "mocked")
			}
			notes = append(notes, c.Normalised...)
			if c.DecodeNote != "" {
				notes = append(notes, c.DecodeNote)
			}
			w("| %s | %s | %s | %s |\n", strings.ReplaceAll(c.Name, "|", "\\|"), verdict(c.Expected), verdict(c.Got), strings.Join(notes, "; "))
		}
		w("\n")
	}
	return b.String()
}

func verdict(b bool) string {
	if b {
		return "alert"
	}
	return "no alert"
}

func anchor(s string) string {
	return strings.ToLower(strings.NewReplacer(".", "", " ", "-").Replace(s))
}
