package queries

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runTestDB returns a case database loaded with a few CloudTrail events.
func runTestDB(t *testing.T) *CaseDB {
	t.Helper()
	ctx := context.Background()
	db, err := NewCaseDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rows := []map[string]any{
		{"event_time": "2026-10-03T09:00:00Z", "event_id": "r1", "event_name": "ConsoleLogin", "event_type": "AwsConsoleSignIn", "recipient_account_id": "111122223333", "principal": "<root_account>", "identity_type": "Root", "source_key": "k1"},
		{"event_time": "2026-10-04T09:00:00Z", "event_id": "r2", "event_name": "ConsoleLogin", "event_type": "AwsConsoleSignIn", "recipient_account_id": "444455556666", "principal": "<root_account>", "identity_type": "Root", "source_key": "k2"},
		{"event_time": "2026-10-05T10:00:00Z", "event_id": "m1", "event_name": "ConsoleLogin", "recipient_account_id": "111122223333", "principal": "bob", "identity_type": "IAMUser",
			"response_elements": map[string]any{"ConsoleLogin": "Success"}, "additional_event_data": map[string]any{"MFAUsed": "No"}, "source_key": "k1"},
		{"event_time": "2026-10-06T10:00:00Z", "event_id": "a1", "event_name": "StopLogging", "event_source": "cloudtrail.amazonaws.com", "recipient_account_id": "111122223333", "principal": "bob", "request_parameters": map[string]any{"name": "main"}, "source_key": "k3"},
	}
	if err := db.insert(ctx, "cloudtrail", rows); err != nil {
		t.Fatal(err)
	}
	return db
}

// restColumns completes a test query's finding columns after account_id.
const restColumns = `NULL::VARCHAR AS region, NULL::VARCHAR AS principal, NULL::VARCHAR AS resource, NULL::TIMESTAMPTZ AS first_seen,
  NULL::TIMESTAMPTZ AS last_seen, 1::BIGINT AS count, []::VARCHAR[] AS event_ids, []::VARCHAR[] AS source_objects, NULL::JSON AS details`

func october() (time.Time, time.Time) { return DefaultCaseWindow[0], DefaultCaseWindow[1] }

func TestEvaluateAndRecord(t *testing.T) {
	ctx := context.Background()
	db := runTestDB(t)
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ws, we := october()
	cfg := RunConfig{WindowStart: ws, WindowEnd: we, Packs: []string{"cloudtrail"}, Catalog: cat, Version: "test",
		Params: map[string]string{"ct_console_login_failures.min_failures": "3", "min_calls": "5"}}
	res, err := Evaluate(ctx, db.db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "ok" {
		t.Errorf("status %s", res.Status)
	}
	status := map[string]string{}
	for _, r := range res.Results {
		status[r.Detection.ID] = r.Status
		if r.Detection.ID == "ct_console_login_failures" && r.Params["min_failures"] != int64(3) {
			t.Errorf("min_failures override: %#v", r.Params["min_failures"])
		}
		if r.Detection.ID == "ct_unauthorized_api_calls" && r.Params["min_calls"] != int64(5) {
			t.Errorf("min_calls override: %#v", r.Params["min_calls"])
		}
	}
	for id, want := range map[string]string{"ct_root_account_usage": "fail", "ct_console_login_without_mfa": "fail", "ct_cloudtrail_config_change": "fail", "ct_vpc_change": "pass"} {
		if status[id] != want {
			t.Errorf("%s: status %s, want %s", id, status[id], want)
		}
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Severity+" "+f.DetectionID+" "+f.AccountID+" "+f.Principal)
	}
	want := []string{
		"high ct_cloudtrail_config_change 111122223333 bob",
		"high ct_console_login_without_mfa 111122223333 bob",
		"high ct_root_account_usage 111122223333 <root_account>",
		"high ct_root_account_usage 444455556666 <root_account>",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	// Same data, second run: identical findings and finding ids.
	res2, err := Evaluate(ctx, db.db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Findings, res2.Findings); diff != "" {
		t.Errorf("second run differs (-first +second):\n%s", diff)
	}
	if res.RunID == res2.RunID {
		t.Errorf("two runs share run id %s", res.RunID)
	}

	if err := Record(ctx, db.db, res); err != nil {
		t.Fatal(err)
	}
	if err := Record(ctx, db.db, res2); err != nil {
		t.Fatal(err)
	}
	var runs, results, findings, controls int
	var packs, statusCol string
	if err := db.db.QueryRowContext(ctx, `SELECT count(*), any_value(CAST(packs AS VARCHAR)), any_value(status) FROM detection_runs`).Scan(&runs, &packs, &statusCol); err != nil {
		t.Fatal(err)
	}
	db.db.QueryRowContext(ctx, `SELECT count(*) FROM detection_results WHERE run_id = ?`, res.RunID).Scan(&results)
	db.db.QueryRowContext(ctx, `SELECT count(*) FROM findings WHERE run_id = ?`, res.RunID).Scan(&findings)
	db.db.QueryRowContext(ctx, `SELECT count(*) FROM control_catalog`).Scan(&controls)
	if runs != 2 || results != len(res.Results) || findings != 4 || packs != `[{"name":"cloudtrail","version":"1.0.0"}]` || statusCol != "ok" {
		t.Errorf("runs %d results %d findings %d packs %s status %s", runs, results, findings, packs, statusCol)
	}
	if want := len(cat.Controls["soc2"]) + len(cat.Controls["iso27001"]) + len(cat.Controls["cis_aws_v3"]); controls != want {
		t.Errorf("control_catalog has %d rows after two runs, want %d", controls, want)
	}
	// The same finding in both runs has the same id.
	var same int
	db.db.QueryRowContext(ctx, `SELECT count(*) FROM findings a JOIN findings b USING (finding_id) WHERE a.run_id = ? AND b.run_id = ?`, res.RunID, res2.RunID).Scan(&same)
	if same != 4 {
		t.Errorf("%d findings share ids across runs, want 4", same)
	}
	var ids, soc2 []any
	var details string
	var ms int64
	if err := db.db.QueryRowContext(ctx, `SELECT f.event_ids, r.soc2, CAST(f.details AS VARCHAR), r.duration_ms FROM findings f JOIN detection_results r USING (run_id, detection_id)
		WHERE f.run_id = ? AND f.detection_id = 'ct_root_account_usage' AND f.account_id = '111122223333'`, res.RunID).Scan(&ids, &soc2, &details, &ms); err != nil {
		t.Fatal(err)
	}
	var dm map[string]any
	if len(ids) != 1 || ids[0] != "r1" || len(soc2) == 0 || json.Unmarshal([]byte(details), &dm) != nil || ms < 0 {
		t.Errorf("event_ids %v soc2 %v details %s", ids, soc2, details)
	}
}

func TestEvaluateNoDataErrorTimeout(t *testing.T) {
	ctx := context.Background()
	db := runTestDB(t)
	dir := writePack(t, map[string]string{
		"x_boom.sql": strings.Replace(goodHeader, "x_test", "x_boom", 1) + `SELECT CAST(error('boom') AS VARCHAR) AS account_id, ` + restColumns + ` FROM cloudtrail
WHERE event_time >= $window_start AND event_time < $window_end AND $min_calls > 0`,
		"x_slow.sql": strings.Replace(goodHeader, "x_test", "x_slow", 1) + `SELECT CAST(count(*) AS VARCHAR) AS account_id, ` + restColumns + ` FROM range(1000000000) a, cloudtrail
WHERE event_time >= $window_start AND event_time < $window_end AND $min_calls > 0`,
		"x_flow.sql": strings.NewReplacer("x_test", "x_flow", "[cloudtrail]", "[vpc_flow]").Replace(goodHeader) + `SELECT account_id, ` + restColumns + ` FROM vpc_flow WHERE start_time >= $window_start AND start_time < $window_end AND $min_calls > 0`,
	})
	cat, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ws, we := october()
	res, err := Evaluate(ctx, db.db, RunConfig{WindowStart: ws, WindowEnd: we, Packs: []string{"mypack"}, Detections: []string{"ct_root_account_usage"},
		Catalog: cat, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "partial" {
		t.Errorf("run status %s, want partial", res.Status)
	}
	got := map[string]string{}
	for _, r := range res.Results {
		got[r.Detection.ID] = r.Status + ": " + r.Error
	}
	for id, want := range map[string]string{"x_boom": "error: ", "x_slow": "error: timed out", "x_flow": "no_data: no rows for the window in vpc_flow", "ct_root_account_usage": "fail"} {
		if !strings.HasPrefix(got[id], want) {
			t.Errorf("%s: %q, want prefix %q", id, got[id], want)
		}
	}
	if !strings.Contains(got["x_boom"], "boom") {
		t.Errorf("x_boom error %q does not carry the query's message", got["x_boom"])
	}
	if len(res.Findings) != 2 {
		t.Errorf("%d findings, want the 2 of ct_root_account_usage", len(res.Findings))
	}
}

func TestEvaluateConfigErrors(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ws, we := october()
	for _, tc := range []struct {
		cfg  RunConfig
		want string
	}{
		{RunConfig{Packs: []string{"nope"}}, `unknown pack "nope"`},
		{RunConfig{Detections: []string{"nope"}}, `unknown detection "nope"`},
		{RunConfig{Params: map[string]string{"nope": "1"}}, "param nope: no selected detection declares it"},
		{RunConfig{Params: map[string]string{"ct_root_account_usage.x": "1"}}, `detection ct_root_account_usage has no parameter "x"`},
		{RunConfig{Params: map[string]string{"ct_console_login_failures.min_failures": "many"}}, "want an integer"},
		{RunConfig{WindowStart: we, WindowEnd: ws}, "is not after its start"},
	} {
		cfg := tc.cfg
		cfg.Catalog = cat
		if cfg.WindowStart.IsZero() {
			cfg.WindowStart, cfg.WindowEnd = ws, we
		}
		_, err := Evaluate(context.Background(), nil, cfg)
		if err == nil {
			// bad values surface per detection
			t.Errorf("%+v: no error", tc.cfg)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}
