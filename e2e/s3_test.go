package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/internal/s3test"
	"github.com/auditlake/auditlake/internal/synth"
)

// withoutEnv returns env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, n := range names {
			keep = keep && k != n
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// summary parses the JSON summary of `ingest --output json`.
func summary(t testing.TB, r result) *ingest.Summary {
	t.Helper()
	var s ingest.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, r)
	}
	return &s
}

// kind returns the summary's counts for a log type (zero when absent).
func kind(s *ingest.Summary, k string) ingest.KindSummary {
	if c := s.ByKind[k]; c != nil {
		return *c
	}
	return ingest.KindSummary{}
}

// checkSummary asserts the per-type counts of a first, complete ingest of the
// archive.
func checkSummary(t testing.TB, s *ingest.Summary, m *synth.Manifest, uploaded int) {
	t.Helper()
	e := expect(m)
	if s.Listed != int64(uploaded) || s.Unchanged != 0 {
		t.Errorf("summary: listed %d, unchanged %d; want %d, 0", s.Listed, s.Unchanged, uploaded)
	}
	if s.Failed != int64(len(e.failed)) || s.Loaded+s.Skipped+s.Failed != s.Listed {
		t.Errorf("summary: %d loaded, %d skipped, %d failed of %d; want %d failed", s.Loaded, s.Skipped, s.Failed, s.Listed, len(e.failed))
	}
	// CloudTrail's duplicate deliveries, and Config snapshot items that
	// repeat a history item's state (checkContents counts each table's).
	if s.Duplicates < m.DuplicateDeliveries {
		t.Errorf("summary: %d duplicates removed, want at least CloudTrail's %d", s.Duplicates, m.DuplicateDeliveries)
	}
	ct := kind(s, "cloudtrail")
	// The junk objects under the CloudTrail prefix count as CloudTrail.
	ctJunk := int64(0)
	for _, j := range m.Junk {
		if strings.Contains(j.Key, "/CloudTrail/") {
			ctJunk++
		}
	}
	if want := (ingest.KindSummary{Objects: int64(m.Objects[synth.KindCloudTrail]) + ctJunk,
		Loaded: int64(m.Objects[synth.KindCloudTrail]) + ctJunk - int64(len(e.failed)), Failed: int64(len(e.failed)),
		Rows: m.Events + m.DuplicateDeliveries + e.junkEvents}); ct != want {
		t.Errorf("summary cloudtrail: %+v, want %+v", ct, want)
	}
	for _, c := range []struct {
		kind    string
		objects int
		rows    int64
	}{
		{"vpc_flow", m.Objects[synth.KindVPCFlow], m.FlowRecords},
		{"config_history", m.Objects[synth.KindConfigHistory], m.ConfigItems},
		{"cloudtrail_insight", m.Objects[synth.KindCloudTrailInsight], m.InsightEvents},
	} {
		if got, want := kind(s, c.kind), (ingest.KindSummary{Objects: int64(c.objects), Loaded: int64(c.objects), Rows: c.rows}); got != want {
			t.Errorf("summary %s: %+v, want %+v", c.kind, got, want)
		}
	}
	if hasSource("credential_report") {
		n := int64(m.Objects[synth.KindCredentialReport])
		if got, want := kind(s, "credential_report"), (ingest.KindSummary{Objects: n, Loaded: n, Rows: m.CredentialReportRows}); got != want {
			t.Errorf("summary credential_report: %+v, want %+v", got, want)
		}
	}
	if got, n := kind(s, "cloudtrail_digest"), int64(m.Objects[synth.KindCloudTrailDigest]); got.Objects != n || got.Skipped != n {
		t.Errorf("summary cloudtrail_digest: %+v, want %d objects, all skipped", got, n)
	}
}

// checkIncident spot-checks the first planted CloudTrail incident: the row
// with its event id holds the planted principal and source IP, and its
// source_key names an object of the archive that holds the event.
func checkIncident(t testing.TB, dbPath, archive string, m *synth.Manifest) {
	t.Helper()
	var in synth.Incident
	for _, c := range m.Incidents {
		if len(c.EventIDs) > 0 && c.Principal != "" && c.SourceIP != "" {
			in = c
			break
		}
	}
	if in.ID == "" {
		t.Fatal("the archive has no CloudTrail incident to check")
	}
	db := openDB(t, dbPath)
	defer db.Close()
	var principal, ip, key, account string
	if err := db.QueryRow("SELECT principal, source_ip_address, source_key, recipient_account_id FROM cloudtrail WHERE event_id = ?", in.EventIDs[0]).
		Scan(&principal, &ip, &key, &account); err != nil {
		t.Fatalf("incident %s, event %s: %v", in.ID, in.EventIDs[0], err)
	}
	if principal != in.Principal || ip != in.SourceIP || account != in.Account {
		t.Errorf("incident %s: principal %q, source_ip %q, account %s; want %q, %q, %s", in.ID, principal, ip, account, in.Principal, in.SourceIP, in.Account)
	}
	f, err := os.Open(filepath.Join(archive, filepath.FromSlash(key)))
	if err != nil {
		t.Fatalf("incident %s: source_key %q is not an object of the archive: %v", in.ID, key, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(`"eventID":"`+in.EventIDs[0]+`"`)) {
		t.Errorf("incident %s: source_key %s does not hold event %s", in.ID, key, in.EventIDs[0])
	}
	var n int64
	for _, id := range in.EventIDs {
		n += queryInt(t, db, "SELECT count(*) FROM cloudtrail WHERE event_id = ?", id)
	}
	if n != int64(len(in.EventIDs)) {
		t.Errorf("incident %s: %d of its %d events loaded", in.ID, n, len(in.EventIDs))
	}
}

// TestIntegrationS3EndToEnd ingests the generated archive from MinIO with
// the CLI, with --endpoint-url and with AWS_ENDPOINT_URL_S3, checks the
// tables against the generator's manifest, re-runs, and compares with an
// ingest of the same archive from a local directory.
func TestIntegrationS3EndToEnd(t *testing.T) {
	dir, m := genArchive(t)
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	uploaded := srv.Upload(t, bucket, dir)
	tmp := t.TempDir()
	loc := "s3://" + bucket + "/"

	// 1. --endpoint-url, with no endpoint in the environment.
	flagEnv := withoutEnv(srv.Env(), "AWS_ENDPOINT_URL_S3")
	a := cli{db: filepath.Join(tmp, "a.duckdb"), env: flagEnv}
	r := a.run(t, "ingest", "--output", "json", "--endpoint-url", srv.URL, loc).want(t, 3, "ingest with junk objects")
	nFailed := len(expect(m).failed)
	if !strings.Contains(r.stderr, "auditlake: "+itoa(nFailed)+" of "+itoa(uploaded)+" objects failed") {
		t.Errorf("stderr does not say how many objects failed:\n%s", r.stderr)
	}
	checkSummary(t, summary(t, r), m, uploaded)
	checkContents(t, a.db, m)
	checkIncident(t, a.db, dir, m)
	first := dump(t, a.db, dumpOpts{})
	t.Logf("S3 ingest of %d objects: %v", uploaded, r.elapsed)

	// 2. The text summary names the failed objects and their errors.
	b := cli{db: filepath.Join(tmp, "b.duckdb"), env: srv.Env()}
	r = b.run(t, "ingest", loc).want(t, 3, "ingest with AWS_ENDPOINT_URL_S3")
	for k, msg := range expect(m).failed {
		if !strings.Contains(r.stdout, k) || !strings.Contains(r.stdout, msg) {
			t.Errorf("text summary lacks failed object %s (%s):\n%s", k, msg, r.stdout)
		}
	}
	diffDumps(t, "AWS_ENDPOINT_URL_S3 vs --endpoint-url", first, dump(t, b.db, dumpOpts{}))

	// 3. A re-run loads nothing new: only the failed objects are retried
	// (and fail again), the tables stay as they were.
	r = a.run(t, "ingest", "--output", "json", "--endpoint-url", srv.URL, loc).want(t, 3, "re-run")
	s := summary(t, r)
	if s.Unchanged != int64(uploaded-nFailed) || s.Loaded != 0 || s.Failed != int64(nFailed) || s.Rows != 0 {
		t.Errorf("re-run: %d unchanged, %d loaded, %d failed, %d rows; want %d, 0, %d, 0", s.Unchanged, s.Loaded, s.Failed, s.Rows, uploaded-nFailed, nFailed)
	}
	diffDumps(t, "re-run", first, dump(t, a.db, dumpOpts{}))

	// 4. The local copy of the archive gives the same tables, but for
	// source_bucket.
	l := cli{db: filepath.Join(tmp, "local.duckdb")}
	l.run(t, "ingest", "--quiet", dir).want(t, 3, "local ingest")
	checkContents(t, l.db, m)
	diffDumps(t, "local vs S3", dump(t, a.db, dumpOpts{noBucket: true}), dump(t, l.db, dumpOpts{noBucket: true}))
	db := openDB(t, a.db)
	for _, table := range dataTables() {
		if n := queryInt(t, db, "SELECT count(*) FROM "+table+" WHERE source_bucket IS DISTINCT FROM ?", bucket); n != 0 {
			t.Errorf("%s: %d rows whose source_bucket is not %s", table, n, bucket)
		}
	}
	db.Close()
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
