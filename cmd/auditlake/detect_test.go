package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/synth"
	"github.com/auditlake/auditlake/queries"
)

func TestDetect(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests an archive")
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	cfg := synth.Demo()
	cfg.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Days = 3
	cfg.EventsPerDay = 1000
	cfg.EventsPerFile = 250
	cfg.Config, cfg.FlowLogs, cfg.CredentialReports = false, false, false
	ctx := context.Background()
	if _, err := synth.Generate(ctx, cfg, synth.DirWriter(archive)); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "detect.duckdb")
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"--db", db}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, errs := cli("--quiet", "ingest", archive); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, errs)
	}

	code, out, errs := cli("detect", "--pack", "cloudtrail", "--format", "jsonl")
	if code != exitOK {
		t.Fatalf("detect: exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "window: 2026-10-01T00:00:00Z to ") || !strings.Contains(errs, "every day with loaded data") {
		t.Errorf("window line missing from stderr:\n%s", errs)
	}
	var n int
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var f map[string]any
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("jsonl line %d: %v", n+1, err)
		}
		for _, k := range []string{"detection", "title", "severity", "account_id", "region", "principal", "resource", "first_seen", "last_seen",
			"count", "event_ids", "source_objects", "controls", "details", "finding_id", "run_id"} {
			if _, ok := f[k]; !ok {
				t.Errorf("jsonl finding lacks %s: %s", k, sc.Text())
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("no findings over three days of the demo organisation")
	}

	code, out, errs = cli("detect", "--pack", "cloudtrail", "--since", "2026-10-01", "--until", "2026-10-03", "--format", "ocsf", "--dry-run")
	if code != exitOK {
		t.Fatalf("detect ocsf: exit %d\n%s", code, errs)
	}
	first := strings.SplitN(out, "\n", 2)[0]
	var o map[string]any
	if err := json.Unmarshal([]byte(first), &o); err != nil {
		t.Fatal(err)
	}
	checkOCSF(t, o)

	code, out, _ = cli("sql", "--format", "csv", "SELECT count(*) AS runs, count(DISTINCT run_id) FILTER (WHERE status = 'ok') AS ok FROM detection_runs")
	if code != exitOK || !strings.Contains(out, "1,1") {
		t.Errorf("detection_runs after one recorded run and one dry run: exit %d\n%s", code, out)
	}

	if code, _, errs = cli("detect", "--pack", "cloudtrail", "--period", "2026-10", "--fail-on", "info", "--format", "csv"); code != exitFindings {
		t.Errorf("--fail-on info with findings: exit %d, want %d\n%s", code, exitFindings, errs)
	}
	if code, _, _ = cli("detect", "--period", "2026-13"); code != exitUsage {
		t.Errorf("bad --period: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ = cli("detect", "--param", "nope=1"); code != exitUsage {
		t.Errorf("unknown --param: exit %d, want %d", code, exitUsage)
	}
	code, out, _ = cli("detect", "--detection", "ct_root_account_usage", "--period", "2026-10")
	if code != exitOK || !strings.Contains(out, "ct_root_account_usage") || !strings.Contains(out, "DETECTION") {
		t.Errorf("table output: exit %d\n%s", code, out)
	}

	if code, out, _ = cli("packs"); code != exitOK || !strings.Contains(out, "ct_console_login_without_mfa") {
		t.Errorf("packs: exit %d\n%s", code, out)
	}
	if code, out, _ = cli("controls", "--framework", "cis"); code != exitOK || !strings.Contains(out, "ct_root_account_usage") || !strings.Contains(out, "by none") {
		t.Errorf("controls: exit %d\n%s", code, out)
	}
}

func TestPacksTest(t *testing.T) {
	dir := t.TempDir()
	pack := filepath.Join(dir, "acme")
	if err := os.MkdirAll(filepath.Join(pack, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"pack.yaml":                 "name: acme\ntitle: Acme\nversion: 0.1.0\n",
		"acme_break_glass_used.sql": queries.ExampleDetection,
		"testdata/acme_break_glass_used.yaml": `cases:
  - name: assuming the role is a finding
    rows:
      cloudtrail:
        - {event_time: "2026-10-02T00:00:00Z", event_id: a1, event_name: AssumeRole, principal: alice, request_parameters: {roleArn: "arn:aws:iam::1:role/BreakGlass"}}
    want:
      - {principal: alice, event_ids: [a1]}
  - name: other roles are not
    rows:
      cloudtrail:
        - {event_time: "2026-10-02T00:00:00Z", event_id: a2, event_name: AssumeRole, principal: alice, request_parameters: {roleArn: "arn:aws:iam::1:role/Dev"}}
    want: [{principal: alice}]
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(pack, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"packs", "test", "--packs-dir", dir}, &out, &errb)
	if code != exitError || !strings.Contains(out.String(), "ok   acme/acme_break_glass_used/assuming the role is a finding") ||
		!strings.Contains(out.String(), "FAIL acme/acme_break_glass_used/other roles are not") ||
		!strings.Contains(out.String(), "no negative case") || strings.Contains(out.String(), "cloudtrail/") {
		t.Errorf("packs test: exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// checkOCSF checks the attributes OCSF 1.1.0 requires of a Detection
// Finding (class 2004) and of the objects it holds.
func checkOCSF(t *testing.T, o map[string]any) {
	t.Helper()
	for k, want := range map[string]float64{"class_uid": 2004, "category_uid": 2, "activity_id": 1, "type_uid": 200401} {
		if o[k] != want {
			t.Errorf("ocsf %s = %v, want %v", k, o[k], want)
		}
	}
	for _, k := range []string{"severity_id", "time", "finding_info", "metadata", "cloud"} {
		if o[k] == nil {
			t.Errorf("ocsf finding lacks required %s", k)
		}
	}
	if s, _ := o["severity_id"].(float64); s < 1 || s > 5 {
		t.Errorf("severity_id %v", o["severity_id"])
	}
	fi, _ := o["finding_info"].(map[string]any)
	if fi["uid"] == nil || fi["title"] == nil {
		t.Errorf("finding_info lacks uid or title: %v", fi)
	}
	md, _ := o["metadata"].(map[string]any)
	prod, _ := md["product"].(map[string]any)
	if md["version"] != "1.1.0" || prod["name"] != "auditlake" || prod["vendor_name"] != "auditlake" {
		t.Errorf("metadata: %v", md)
	}
	cloud, _ := o["cloud"].(map[string]any)
	if cloud["provider"] != "AWS" {
		t.Errorf("cloud: %v", cloud)
	}
}
