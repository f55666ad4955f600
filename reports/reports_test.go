package reports

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

func testModel() *Model {
	at := time.Date(2026, 10, 3, 10, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	return &Model{
		Frameworks: []string{"soc2"},
		Controls: map[string][]Control{"soc2": {
			{Framework: "soc2", ID: "CC6.1", Title: "Access", Responsibility: "identity_access"},
			{Framework: "soc2", ID: "CC6.6", Title: "Boundary", Responsibility: "network_rules"},
			{Framework: "soc2", ID: "CC7.2", Title: "Monitoring", Responsibility: "logging_monitoring"},
			{Framework: "soc2", ID: "CC9.9", Title: "Unmapped", Responsibility: "encryption"},
		}},
		Detections: []Detection{
			{ID: "a_fail", Status: "fail", FindingCount: 1, Controls: map[string][]string{"soc2": {"CC6.1"}}},
			{ID: "b_pass", Status: "pass", Controls: map[string][]string{"soc2": {"CC6.1", "CC6.6"}}},
			{ID: "c_nodata", Status: "no_data", Controls: map[string][]string{"soc2": {"CC7.2"}}},
		},
		Findings: []Finding{{DetectionID: "a_fail", FindingID: "f1", Severity: "high", AccountID: "123456789012",
			Principal: "alice, \"the admin\"", FirstSeen: at, LastSeen: at, Count: 2,
			EventIDs: []string{"e1", "e2"}, SourceObjects: []string{"AWSLogs/k1.json.gz"}, Details: `{"x":1}`}},
	}
}

func TestControlStatus(t *testing.T) {
	m := testModel()
	want := map[string]string{"CC6.1": StatusFindings, "CC6.6": StatusClean, "CC7.2": StatusNoEvidence, "CC9.9": StatusNotCovered}
	for _, cr := range m.ControlResults("soc2") {
		if cr.Status != want[cr.Control.ID] {
			t.Errorf("%s: %s, want %s", cr.Control.ID, cr.Status, want[cr.Control.ID])
		}
	}
	areas := map[string]string{}
	for _, a := range m.Matrix() {
		areas[a.ID] = a.Status
	}
	for id, st := range map[string]string{"identity_access": StatusFindings, "network_rules": StatusClean,
		"logging_monitoring": StatusNoEvidence, "encryption": StatusNoEvidence, "root_account": StatusNotCovered} {
		if areas[id] != st {
			t.Errorf("area %s: %s, want %s", id, areas[id], st)
		}
	}
}

func TestCSVs(t *testing.T) {
	m := testModel()
	files, err := m.CSVs()
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string][]byte{}
	var paths []string
	for _, f := range files {
		byPath[f.Path] = f.Data
		paths = append(paths, f.Path)
	}
	for _, p := range []string{"csv/findings.csv", "csv/controls.csv", "csv/coverage.csv", "csv/detections.csv",
		"csv/failed_objects.csv", "csv/soc2/CC6.1.csv", "csv/soc2/CC9.9.csv"} {
		if byPath[p] == nil {
			t.Errorf("no %s in %v", p, paths)
		}
	}
	recs, err := csv.NewReader(bytes.NewReader(byPath["csv/findings.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("findings.csv: %d records", len(recs))
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	for k, v := range map[string]string{"principal": `alice, "the admin"`, "first_seen": "2026-10-03T08:00:00Z",
		"event_ids": "e1 e2", "controls": "soc2:CC6.1", "source_objects": "AWSLogs/k1.json.gz"} {
		if row[k] != v {
			t.Errorf("findings.csv %s = %q, want %q", k, row[k], v)
		}
	}
	if c := string(byPath["csv/soc2/CC9.9.csv"]); strings.Count(c, "\n") != 1 {
		t.Errorf("a control without detections should have a header only:\n%s", c)
	}
	if !strings.Contains(string(byPath["csv/controls.csv"]), "soc2,CC6.1,Access,identity_access,findings,1,a_fail b_pass\n") {
		t.Errorf("controls.csv:\n%s", byPath["csv/controls.csv"])
	}
}
