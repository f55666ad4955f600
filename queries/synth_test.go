package queries

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/internal/synth"
)

// synthDB generates cfg into a temporary directory and ingests it.
func synthDB(tb testing.TB, dir string, cfg synth.Config) (*duck.DB, *synth.Manifest) {
	tb.Helper()
	ctx := context.Background()
	archive := filepath.Join(dir, "archive")
	m, err := synth.Generate(ctx, cfg, synth.DirWriter(archive))
	if err != nil {
		tb.Fatal(err)
	}
	db, err := duck.Open(ctx, filepath.Join(dir, "test.duckdb"), duck.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	store, err := objstore.NewLocal(archive)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ingest.Run(ctx, db, ingest.Config{Store: store, Sources: ingest.All()}); err != nil {
		tb.Fatal(err)
	}
	return db, m
}

// incidentDetections maps the synthetic organisation's planted CloudTrail
// incidents to the detection that must report them.
var incidentDetections = map[string]string{
	"access_key_for_other_user": "ct_access_key_created_for_other_user",
	"config_recorder_stopped":   "ct_config_change",
	"leave_org_attempt":         "ct_organizations_change",
	"root_console_login":        "ct_root_account_usage",
	"console_brute_force":       "ct_console_login_failures",
	"admin_policy_attached":     "ct_iam_policy_change",
	"cloudtrail_tampering":      "ct_cloudtrail_config_change",
	"sg_open_ssh":               "ct_security_group_open_to_world",
	"sg_open_rdp":               "ct_security_group_open_to_world",
	"kms_key_deletion":          "ct_kms_key_disabled_or_deleted",
	"recon_access_denied":       "ct_unauthorized_api_calls",
	"vpc_change":                "ct_vpc_change",
	"internet_gateway_change":   "ct_network_gateway_change",
	"route_table_change":        "ct_route_table_change",
	"network_acl_change":        "ct_nacl_change",
}

// partialIncidents are incidents only some of whose events the detection
// selects: the brute force ends with a successful sign-in (not a failure),
// the trail tampering includes PutEventSelectors (not in the CIS 4.5
// filter) and the reconnaissance includes calls that succeeded.
var partialIncidents = map[string]bool{"console_brute_force": true, "cloudtrail_tampering": true, "recon_access_denied": true}

// benignDetections maps planted look-alikes to detections that must not
// report their events.
var benignDetections = map[string][]string{
	"sg_ingress_internal":    {"ct_security_group_open_to_world"},
	"sso_console_login":      {"ct_console_login_without_mfa"},
	"root_console_login_mfa": {"ct_console_login_without_mfa"},
	"no_such_bucket_policy":  {"ct_unauthorized_api_calls", "ct_s3_bucket_policy_change"},
	"throttling_burst":       {"ct_unauthorized_api_calls"},
}

// TestSynthIncidents runs the cloudtrail pack over a month of the synthetic
// organisation and checks that every planted incident is reported by its
// detection (all its event ids in one finding's event_ids) and that the
// planted look-alikes are not.
func TestSynthIncidents(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests a month of events")
	}
	cfg := synth.Demo()
	cfg.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Days = 31
	cfg.EventsPerDay = 800
	cfg.EventsPerFile = 500
	cfg.Config, cfg.CredentialReports, cfg.FlowLogs = false, false, false
	db, m := synthDB(t, t.TempDir(), cfg)
	defer db.Close()
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(context.Background(), db.DB, RunConfig{
		WindowStart: cfg.Start, WindowEnd: cfg.Start.AddDate(0, 0, cfg.Days), Packs: []string{"cloudtrail"}, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Results {
		if r.Status == StatusError {
			t.Errorf("%s: %s", r.Detection.ID, r.Error)
		}
	}
	byDetection := map[string][]*Finding{}
	for _, f := range res.Findings {
		byDetection[f.DetectionID] = append(byDetection[f.DetectionID], f)
	}
	covers := func(f *Finding, ids []string, partial bool) bool {
		n := 0
		for _, id := range ids {
			if slices.Contains(f.EventIDs, id) {
				n++
			}
		}
		if partial {
			return n >= (len(ids)+1)/2
		}
		return n == len(ids)
	}
	seen := map[string]bool{}
	for _, in := range m.Incidents {
		det, ok := incidentDetections[in.ID]
		if !ok || len(in.EventIDs) == 0 {
			continue
		}
		seen[in.ID] = true
		if !slices.ContainsFunc(byDetection[det], func(f *Finding) bool {
			return covers(f, in.EventIDs, partialIncidents[in.ID]) && f.AccountID == in.Account
		}) {
			t.Errorf("incident %s (%s, events %v) not reported by %s", in.ID, in.Description, in.EventIDs, det)
		}
	}
	for id := range incidentDetections {
		if !seen[id] {
			t.Errorf("the synthetic organisation planted no %s incident", id)
		}
	}
	for _, b := range m.Benign {
		for _, det := range benignDetections[b.ID] {
			for _, f := range byDetection[det] {
				for _, id := range b.EventIDs {
					if slices.Contains(f.EventIDs, id) {
						t.Errorf("look-alike %s (%s): event %s reported by %s", b.ID, b.Description, id, det)
					}
				}
			}
		}
	}
	t.Logf("%d events, %d findings from %d detections", m.Events, len(res.Findings), len(res.Results))
}
