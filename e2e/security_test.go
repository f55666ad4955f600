package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/internal/s3test"
)

// tempCredentials asks MinIO's STS for temporary credentials (an access
// key, a secret and a session token), so that a session token can be used
// for real, not only as a marker that the server rejects.
func tempCredentials(t testing.TB, srv *s3test.Server) aws.Credentials {
	t.Helper()
	client := sts.New(sts.Options{
		Region:       s3test.Region,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, ""),
	})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/auditlake-e2e"),
		RoleSessionName: aws.String("auditlake-e2e"),
	})
	if err != nil {
		t.Fatalf("MinIO STS AssumeRole: %v", err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
}

// grepDB counts the values of every text column of every table (and the
// raw bytes of the database files) that contain secret.
func grepDB(t testing.TB, path, secret string) []string {
	t.Helper()
	var hits []string
	db := openDB(t, path)
	rows, err := db.Query(`SELECT table_name, column_name FROM duckdb_columns()
WHERE NOT internal AND (data_type LIKE 'VARCHAR%' OR data_type = 'JSON' OR data_type LIKE 'STRUCT%' OR data_type LIKE 'MAP%')`)
	if err != nil {
		t.Fatal(err)
	}
	var cols [][2]string
	for rows.Next() {
		var tb, col string
		rows.Scan(&tb, &col)
		cols = append(cols, [2]string{tb, col})
	}
	rows.Close()
	if len(cols) < 20 {
		t.Fatalf("only %d text columns to search: %v", len(cols), cols)
	}
	for _, c := range cols {
		if n := queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM "%s" WHERE contains(CAST("%s" AS VARCHAR), ?)`, c[0], c[1]), secret); n > 0 {
			hits = append(hits, fmt.Sprintf("%s.%s: %d rows", c[0], c[1], n))
		}
	}
	db.Close()
	matches, _ := filepath.Glob(path + "*")
	for _, f := range matches {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(secret)) {
			hits = append(hits, "file "+f)
		}
	}
	return hits
}

// TestIntegrationSecretsNeverLeak runs ingest with temporary credentials
// (access key, secret, session token) at debug level with JSON logs, and
// with a session token the server rejects: neither the secret nor the token
// appears on stdout, stderr (logs and errors included) or anywhere in the
// database.
func TestIntegrationSecretsNeverLeak(t *testing.T) {
	dir, m := genArchive(t)
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	srv.Upload(t, bucket, dir)
	loc := "s3://" + bucket + "/"
	creds := tempCredentials(t, srv)
	if len(creds.SessionToken) < 20 || len(creds.SecretAccessKey) < 20 {
		t.Fatalf("MinIO gave short temporary credentials: %+v", creds)
	}
	env := withoutEnv(srv.Env(), "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
	env = append(env, "AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey, "AWS_SESSION_TOKEN="+creds.SessionToken)
	c := cli{db: filepath.Join(t.TempDir(), "s.duckdb"), env: env}
	r := c.run(t, "--log-level", "debug", "--log-format", "json", "ingest", "--output", "json", loc).want(t, 3, "ingest with temporary credentials")
	if !strings.Contains(r.stderr, `"level":"DEBUG"`) {
		t.Errorf("no debug log lines on stderr:\n%.2000s", r.stderr)
	}
	checkContents(t, c.db, m)
	// The failed objects' errors and a failing run's message are where a
	// signed URL or a header would leak.
	bad := cli{db: filepath.Join(t.TempDir(), "bad.duckdb"), env: append(withoutEnv(env, "AWS_SESSION_TOKEN"), "AWS_SESSION_TOKEN=AUDITLAKE-MARKER-TOKEN-6f1c")}
	rb := bad.run(t, "--log-level", "debug", "--log-format", "json", "ingest", loc).want(t, 1, "ingest with a token the server rejects")
	if !strings.Contains(rb.stderr, "auditlake: ") {
		t.Errorf("a rejected token gives no error:\n%s", rb)
	}
	for name, secret := range map[string]string{"secret key": creds.SecretAccessKey, "session token": creds.SessionToken, "marker token": "AUDITLAKE-MARKER-TOKEN-6f1c", "root secret": s3test.SecretKey} {
		for what, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "stdout (rejected token)": rb.stdout, "stderr (rejected token)": rb.stderr} {
			if strings.Contains(out, secret) {
				t.Errorf("the %s appears on %s", name, what)
			}
		}
		for _, db := range []string{c.db, bad.db} {
			if _, err := os.Stat(db); err != nil {
				continue
			}
			if hits := grepDB(t, db, secret); len(hits) > 0 {
				t.Errorf("the %s is in the database %s: %v", name, filepath.Base(db), hits)
			}
		}
	}
	// The access key id is not a secret, but the token's signature prefix
	// is: a sanity check that the search itself finds what is there.
	if hits := grepDB(t, c.db, bucket); len(hits) == 0 {
		t.Error("grepDB found not even the bucket name: the search is broken")
	}
}

// TestSQLIsReadOnly tries every way out of `auditlake sql`: writes,
// ATTACH, COPY TO, reading files, extensions, and switching the locks off.
// Each must fail with exit 1, leave no file behind and leave the database
// as it was.
func TestSQLIsReadOnly(t *testing.T) {
	dir, _ := genArchive(t)
	tmp := t.TempDir()
	c := cli{db: filepath.Join(tmp, "ro.duckdb")}
	c.run(t, "ingest", "-q", dir).want(t, 3, "ingest")
	before := dump(t, c.db, dumpOpts{})
	out := filepath.Join(tmp, "escape")
	cases := []struct{ name, q, why string }{
		{"create table", "CREATE TABLE x AS SELECT 1", "read-only"},
		{"insert", "INSERT INTO ingest_runs (run_id) VALUES ('x')", "read-only"},
		{"delete", "DELETE FROM cloudtrail", "read-only"},
		{"drop", "DROP TABLE cloudtrail", "read-only"},
		{"update", "UPDATE ingest_objects SET status = 'loaded'", "read-only"},
		{"attach", "ATTACH '" + out + ".duckdb' AS x", ""},
		{"copy to", "COPY (SELECT * FROM ingest_objects) TO '" + out + ".csv'", ""},
		{"copy database", "COPY FROM DATABASE ro TO x", ""},
		{"export", "EXPORT DATABASE '" + out + "'", ""},
		{"read_csv", "SELECT * FROM read_csv('/etc/passwd')", "cannot read or write files"},
		{"read_text", "SELECT * FROM read_text('/etc/passwd')", "cannot read or write files"},
		{"glob", "SELECT * FROM glob('/etc/*')", "cannot read or write files"},
		{"parquet", "SELECT * FROM '/etc/passwd'", ""},
		{"install", "INSTALL httpfs", ""},
		{"load", "LOAD httpfs", ""},
		{"set access", "SET enable_external_access = true", ""},
		{"unlock", "SET lock_configuration = false", ""},
		{"reset", "RESET enable_external_access", ""},
		{"second statement", "SELECT 1; COPY (SELECT 1) TO '" + out + ".txt'", ""},
	}
	for _, tc := range cases {
		r := c.run(t, "sql", tc.q)
		if r.code != 1 {
			t.Errorf("%s: %q exited %d, want 1 (refused)\n%s", tc.name, tc.q, r.code, r)
			continue
		}
		if tc.why != "" && !strings.Contains(r.stderr, tc.why) {
			t.Errorf("%s: error does not say %q:\n%s", tc.name, tc.why, r.stderr)
		}
	}
	if matches, _ := filepath.Glob(out + "*"); len(matches) > 0 {
		t.Errorf("files written by auditlake sql: %v", matches)
	}
	diffDumps(t, "after the escape attempts", before, dump(t, c.db, dumpOpts{}))
	r := c.run(t, "sql", "--format", "csv", "SELECT count(*) AS n FROM cloudtrail").want(t, 0, "a plain query")
	if !strings.HasPrefix(r.stdout, "n\n") {
		t.Errorf("plain query output: %q", r.stdout)
	}
}

// TestPackCannotWrite runs detect with a user pack whose detections try to
// write a file, drop a table or read a file: each is refused (a parse error
// or DuckDB's disabled file access on the read-only handle) and nothing
// changes.
func TestPackCannotWrite(t *testing.T) {
	dir, _ := genArchive(t)
	tmp := t.TempDir()
	c := cli{db: filepath.Join(tmp, "p.duckdb")}
	c.run(t, "ingest", "-q", dir).want(t, 3, "ingest")
	before := dump(t, c.db, dumpOpts{})
	packs := filepath.Join(tmp, "packs")
	pack := filepath.Join(packs, "evil")
	os.MkdirAll(pack, 0o755)
	os.WriteFile(filepath.Join(pack, "pack.yaml"), []byte("name: evil\ntitle: Evil\nversion: 1.0.0\ndescription: tries to write\n"), 0o644)
	out := filepath.Join(tmp, "evil-out.csv")
	header := func(id string) string {
		return "-- id: " + id + `
-- title: Tries to write
-- description: A detection that tries to write.
-- severity: low
-- sources: [cloudtrail]
-- params: {}
-- controls: {soc2: [CC6.1], iso27001: [A.8.15], cis_aws_v3: ["4.1"]}
-- why: testing
-- remediation: none
`
	}
	body := `SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS region, NULL::VARCHAR AS principal, NULL::VARCHAR AS resource,
  NULL::TIMESTAMPTZ AS first_seen, NULL::TIMESTAMPTZ AS last_seen, 0::BIGINT AS count, []::VARCHAR[] AS event_ids,
  []::VARCHAR[] AS source_objects, NULL::JSON AS details WHERE false`
	os.WriteFile(filepath.Join(pack, "evil_copy.sql"), []byte(header("evil_copy")+"COPY (SELECT * FROM cloudtrail) TO '"+out+"'\n"), 0o644)
	os.WriteFile(filepath.Join(pack, "evil_drop.sql"), []byte(header("evil_drop")+body+";\nDROP TABLE cloudtrail\n"), 0o644)
	os.WriteFile(filepath.Join(pack, "evil_cte.sql"), []byte(header("evil_cte")+"WITH x AS (SELECT content FROM read_text('/etc/passwd')) "+strings.Replace(body, "WHERE false", "FROM x WHERE false", 1)+"\n"), 0o644)

	r := c.run(t, "detect", "--packs-dir", packs, "--pack", "evil", "--since", "2026-10-01", "--until", "2026-10-02", "--format", "jsonl")
	t.Logf("detect with the evil pack: %s", r)
	switch r.code {
	case 2: // the pack refused when loaded
	case 3: // the run recorded, each evil detection an error
		db := openDB(t, c.db)
		for _, id := range []string{"evil_copy", "evil_drop", "evil_cte"} {
			var status, msg string
			if err := db.QueryRow("SELECT status, coalesce(error, '') FROM detection_results WHERE detection_id = ?", id).Scan(&status, &msg); err != nil || status != "error" || msg == "" {
				t.Errorf("%s: status %q, error %q (%v); want the error that refused it", id, status, msg, err)
			}
			t.Logf("%s refused: %s", id, msg)
		}
		db.Close()
	default:
		t.Errorf("detect with a pack that tries to write: want exit 2 (refused) or 3 (detections errored), got %d", r.code)
	}
	before["detection_runs"] = "" // the run is recorded; the data tables must not change
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a pack wrote %s", out)
	}
	after := dump(t, c.db, dumpOpts{})
	after["detection_runs"] = ""
	diffDumps(t, "after the evil pack", before, after)
}

// TestIntegrationOddKeys ingests from S3 objects whose keys hold unicode,
// spaces, percent signs and ".." components: they load under their exact
// keys, and nothing is written outside the database's directory (TMPDIR
// and HOME are separate, empty directories that must stay empty).
func TestIntegrationOddKeys(t *testing.T) {
	dir, _ := genArchive(t)
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	st := srv.Store(t, bucket)
	ctx := context.Background()
	var src string
	for _, k := range archiveKeys(t, dir) {
		if strings.Contains(k, "_CloudTrail_") && !strings.Contains(k, "ingest-notes") {
			src = k
			break
		}
	}
	body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(src)))
	if err != nil {
		t.Fatal(err)
	}
	events := len(ctRecords(t, filepath.Join(dir, filepath.FromSlash(src))))
	keys := []string{
		"odd/ünïcødé 日本/" + filepath.Base(src),
		"odd/with space/%41 plus+sign/" + filepath.Base(src),
		"odd/../../escape/" + filepath.Base(src),
		"odd/a/../b/./" + filepath.Base(src),
	}
	var put []string
	for _, k := range keys {
		if err := st.Put(ctx, k, bytes.NewReader(body), int64(len(body))); err != nil {
			t.Logf("MinIO refuses key %q: %v", k, err)
			continue
		}
		put = append(put, k)
	}
	// MinIO refuses keys with "." or ".." segments (XMinioInvalidResourceName);
	// AWS stores them. Ingest never makes a path of a key (keys only reach
	// the manifest and source_key); where keys do become paths, in a local
	// archive that generate and collect write to, such keys are refused and
	// nothing lands outside the directory.
	if len(put) < 2 {
		t.Fatalf("only %d odd keys could be stored", len(put))
	}
	archiveDir := filepath.Join(t.TempDir(), "archive", "inner")
	os.MkdirAll(archiveDir, 0o755)
	local, err := objstore.NewLocal(archiveDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"../escape.json", "a/../../escape.json", "/etc/escape.json", "a/./b.json"} {
		if err := local.Put(ctx, k, bytes.NewReader(body), int64(len(body))); err == nil {
			t.Errorf("local archive accepted key %q", k)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(archiveDir)); len(entries) != 1 {
		t.Errorf("writing keys with .. into a local archive left %d entries next to it", len(entries)-1)
	}
	tmp := t.TempDir()
	home, tmpdir := filepath.Join(tmp, "home"), filepath.Join(tmp, "tmp")
	os.MkdirAll(home, 0o755)
	os.MkdirAll(tmpdir, 0o755)
	dbdir := filepath.Join(tmp, "db")
	c := cli{db: filepath.Join(dbdir, "odd.duckdb"), env: append(srv.Env(), "HOME="+home, "TMPDIR="+tmpdir)}
	r := c.run(t, "ingest", "--output", "json", "s3://"+bucket+"/odd/").want(t, 0, "ingest of odd keys")
	if s := summary(t, r); s.Loaded != int64(len(put)) {
		t.Errorf("loaded %d objects, want %d:\n%s", s.Loaded, len(put), r)
	}
	db := openDB(t, c.db)
	for _, k := range put {
		if n := queryInt(t, db, "SELECT count(*) FROM ingest_objects WHERE key = ? AND status = 'loaded'", k); n != 1 {
			t.Errorf("key %q: %d loaded manifest rows, want 1", k, n)
		}
	}
	// One event, one row: the copies under the other keys are duplicate
	// deliveries; the kept copy is the one with the smallest key.
	slices.Sort(put)
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail WHERE source_key = ?", put[0]); n != int64(events) {
		t.Errorf("rows from %q: %d, want %d", put[0], n, events)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail"); n != int64(events) {
		t.Errorf("cloudtrail rows: %d, want %d", n, events)
	}
	db.Close()
	for _, d := range []string{home, tmpdir} {
		var found []string
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && p != d {
				found = append(found, p)
			}
			return nil
		})
		if len(found) > 0 {
			t.Errorf("ingest wrote outside the database directory: %v", found)
		}
	}
	entries, _ := os.ReadDir(tmp)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "db,home,tmp" {
		t.Errorf("the test directory holds %v, want db, home, tmp only", names)
	}
}
