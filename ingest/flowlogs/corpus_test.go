package flowlogs

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/ingest/source"
)

// corpusDir is ../shared/corpus next to the repository, or
// $AUDITLAKE_CORPUS. Tests that need it skip when it is absent.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "vpcflow")); err != nil {
		t.Skipf("public sample corpus not found at %s (set AUDITLAKE_CORPUS)", dir)
	}
	return filepath.Join(dir, "vpcflow")
}

func readMaybeGzip(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// oracle parses a flow log file the simplest way (strings.Fields, the header
// or the default format chosen by field count) into one map of field name
// to raw text per record, without "-" values: what every row must hold.
func oracle(t *testing.T, body []byte) [][2][]string {
	t.Helper()
	var header []string
	var out [][2][]string
	for _, line := range strings.Split(string(body), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "version" || f[0] == "instance-id":
			header = f
		default:
			names := header
			if names == nil {
				for _, df := range defaultFormats {
					if d := strings.Fields(df.Fields); len(d) == len(f) {
						names = d
					}
				}
			}
			if len(names) != len(f) {
				t.Fatalf("oracle: %d fields for %d names: %q", len(f), len(names), line)
			}
			out = append(out, [2][]string{names, f})
		}
	}
	return out
}

// rowText renders a decoded row's value for a field as the text it came
// from ("" for NULL).
func rowText(row map[string]any, name string) string {
	idx := lookup([]byte(name))
	if idx < 0 {
		return ""
	}
	if catalogue[idx].Column == "" {
		var extra map[string]any
		if raw, ok := row["extra"].(json.RawMessage); ok {
			json.Unmarshal(raw, &extra)
		}
		if v, ok := extra[name]; ok {
			return fmt.Sprint(v)
		}
		return ""
	}
	v, ok := row[catalogue[idx].Column]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok && catalogue[idx].Kind == kEpoch {
		at, _ := time.Parse(time.RFC3339, s)
		return fmt.Sprint(at.Unix())
	}
	return fmt.Sprint(v)
}

// checkAgainstOracle compares every field of every row with the oracle.
func checkAgainstOracle(t *testing.T, name string, body []byte, rows []map[string]any) {
	t.Helper()
	want := oracle(t, body)
	if len(rows) != len(want) {
		t.Fatalf("%s: %d rows, the file has %d records", name, len(rows), len(want))
	}
	for i, rec := range want {
		for j, field := range rec[0] {
			w := rec[1][j]
			if w == "-" {
				w = ""
			}
			if got := rowText(rows[i], field); got != w {
				t.Errorf("%s record %d: %s = %q, want %q", name, i+1, field, got, w)
			}
		}
	}
}

// TestCorpusAWSDocs loads the four objects assembled from the VPC user
// guide's record examples, under their real keys: every record loads, every
// field as written.
func TestCorpusAWSDocs(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "awsdocs-vpc-user-guide")
	files, _ := filepath.Glob(filepath.Join(dir, "AWSLogs", "*", "vpcflowlogs", "*", "*", "*", "*", "*.log.gz"))
	if len(files) != 4 {
		t.Fatalf("%d objects, SOURCES.md documents 4", len(files))
	}
	wantRows := map[string]int64{"fl-0a1b2c3d4e5f60001": 7, "fl-0a1b2c3d4e5f60002": 8, "fl-0a1b2c3d4e5f60003": 4, "fl-0a1b2c3d4e5f60004": 4}
	statuses := map[string]int{}
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		key := filepath.ToSlash(rel)
		m, ok := layouts[0].Match(key)
		if !ok {
			t.Fatalf("%s: key does not match the layout", key)
		}
		obj := source.Object{Key: key, Kind: "vpc_flow", Partition: New().Classify(key, m).Partition}
		body := readMaybeGzip(t, f)
		if !New().Sniff(body) {
			t.Errorf("%s: Sniff does not recognise the header", key)
		}
		rows, st, err := decodeAll(t, obj, bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		id := flowLogIDOf(key)
		if st.Skipped != 0 || st.Rows != wantRows[id] {
			t.Errorf("%s: %d rows, %d skipped (%v); want %d rows", key, st.Rows, st.Skipped, st.Samples, wantRows[id])
		}
		checkAgainstOracle(t, key, body, rows)
		for _, r := range rows {
			if r["key_account_id"] != "123456789010" || r["key_region"] != "us-east-1" || r["key_flow_log_id"] != id {
				t.Errorf("%s: key columns %v %v %v", key, r["key_account_id"], r["key_region"], r["key_flow_log_id"])
			}
			if s, ok := r["log_status"].(string); ok {
				statuses[s]++
			}
		}
		if id == "fl-0a1b2c3d4e5f60002" {
			// The documented line with a double space: "5001 43638  10.0.0.62".
			last := rows[len(rows)-1]
			if last["srcport"] != int64(5001) || last["dstport"] != int64(43638) || last["pkt_srcaddr"] != "10.0.0.62" || last["tcp_flags"] != int64(19) {
				t.Errorf("double-space record misread: %v", last)
			}
		}
		if id == "fl-0a1b2c3d4e5f60003" {
			for _, r := range rows {
				if r["instance_id"] != nil || r["version"] != nil || r["start_time"] != nil {
					t.Errorf("NAT gateway format: want no instance, version or time: %v", r)
				}
			}
		}
	}
	if statuses["NODATA"] != 1 || statuses["SKIPDATA"] != 1 || statuses["OK"] != 17 {
		t.Errorf("log_status counts %v, want 17 OK (the NAT format has no log-status), 1 NODATA, 1 SKIPDATA", statuses)
	}
}

// TestCorpusElasticFixtures runs Elastic's pipeline fixtures. They are not S3
// objects: most have no header, and Elastic reads them by field count. What
// is correct here: every line of a file that has a header, or whose lines
// are in a default format, loads with every field as written (checked
// against the oracle) and nothing skipped; a headerless file in a custom
// format (the 17-field transit gateway example) and the "unsupported
// format" file fail as not flow logs, naming the reason.
func TestCorpusElasticFixtures(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "elastic-*", "*.log"))
	if len(files) == 0 {
		t.Skip("Elastic fixtures absent")
	}
	wantRows := map[string]int64{
		"test__custom-nat-gateway.log":               2,
		"test__tcp-flag-sequence-skip-data.log":      2,
		"deploy__tf__files__test-extra-samples.log":  9,
		"test__pipeline__test-ecs-samples.log":       10,
		"test__pipeline__test-extra-samples.log":     7,
		"test__pipeline__test-tcp-flag-sequence.log": 3,
		"test__pipeline__test-tgw-samples.log":       10,
		"test__pipeline__test-v5-all-fields.log":     1,
		"test__pipeline__test-v8-samples.log":        1,
	}
	wantErr := map[string]string{
		"test__bad.log":                    "not a VPC flow log: the first line is not a flow log header, and no default format has 4 fields",
		"test__custom-transit-gateway.log": "not a VPC flow log: the first line is not a flow log header, and no default format has 17 fields",
	}
	seen := 0
	for _, f := range files {
		name := filepath.Base(f)
		body := readMaybeGzip(t, f)
		rows, st, err := decodeAll(t, testObj, bytes.NewReader(body))
		if msg, ok := wantErr[name]; ok {
			seen++
			if err == nil || !errors.Is(err, ErrNotFlowLog) || !strings.Contains(err.Error(), msg) {
				t.Errorf("%s: error %v, want %q", name, err, msg)
			}
			continue
		}
		want, ok := wantRows[name]
		if !ok {
			t.Errorf("%s: fixture not in this test", name)
			continue
		}
		seen++
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if st.Rows != want || st.Skipped != 0 {
			t.Errorf("%s: %d rows, %d skipped (%v); want %d rows", name, st.Rows, st.Skipped, st.Samples, want)
		}
		checkAgainstOracle(t, name, body, rows)
		switch name {
		case "test__pipeline__test-v8-samples.log":
			if r := rows[0]; r["reject_reason"] != "BPA" || r["ecs_cluster_name"] != "backend-cluster" || r["flow_direction"] != "ingress" {
				t.Errorf("%s: %v", name, r)
			}
		case "test__pipeline__test-v5-all-fields.log":
			// start has a typo in the fixture (164000066: 1975): kept as
			// written, it is a valid number of seconds.
			if r := rows[0]; r["start_time"] != "1975-03-14T03:34:26Z" || r["pkt_dst_aws_service"] != "CLOUDFRONT" || r["traffic_path"] != int64(1) {
				t.Errorf("%s: %v", name, r)
			}
		case "test__pipeline__test-tgw-samples.log":
			for _, r := range rows {
				if rowText(r, "tgw-id") != "tgw-0a12bc34de56f7890" || r["action"] != nil || r["flow_direction"] != "ingress" {
					t.Errorf("%s: %v", name, r)
				}
			}
		}
	}
	if seen != len(wantRows)+len(wantErr) {
		t.Errorf("%d fixtures checked, want %d", seen, len(wantRows)+len(wantErr))
	}
}
