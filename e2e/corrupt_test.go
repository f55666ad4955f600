package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/auditlake/auditlake/internal/s3test"
	"github.com/auditlake/auditlake/internal/synth"
)

// archiveKeys lists the archive's keys, sorted.
func archiveKeys(t testing.TB, dir string) []string {
	t.Helper()
	var keys []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		keys = append(keys, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func isJunk(m *synth.Manifest, key string) bool {
	return slices.ContainsFunc(m.Junk, func(j synth.JunkObject) bool { return j.Key == key })
}

// ctRecords reads the Records of a CloudTrail object of the archive.
func ctRecords(t testing.TB, path string) []json.RawMessage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.Records
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// duplicated finds an event delivered in two CloudTrail objects: the keys
// of the two objects (sorted) and the event id.
func duplicated(t testing.TB, dir string, m *synth.Manifest) (a, b, id string) {
	t.Helper()
	where := map[string]string{}
	for _, k := range archiveKeys(t, dir) {
		if !strings.Contains(k, "_CloudTrail_") || isJunk(m, k) {
			continue
		}
		for _, rec := range ctRecords(t, filepath.Join(dir, k)) {
			var ev struct{ EventID string }
			json.Unmarshal(rec, &ev)
			if prev, ok := where[ev.EventID]; ok && prev != k {
				return prev, k, ev.EventID
			}
			where[ev.EventID] = k
		}
	}
	t.Fatalf("the archive has no event delivered twice (manifest says %d)", m.DuplicateDeliveries)
	return
}

// TestIntegrationCorruption corrupts objects in the bucket after a clean
// ingest (truncated gzip, garbage, JSON that is not CloudTrail, an empty
// gzip stream, a 0-byte .gz) and changes one validly, re-runs, checks that
// the bad ones are recorded failed with errors naming the problem and that
// the rows of changed objects are replaced, not duplicated; then restores
// the objects and checks the tables equal a clean ingest's.
func TestIntegrationCorruption(t *testing.T) {
	dir, m := genArchive(t)
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	srv.Upload(t, bucket, dir)
	st := srv.Store(t, bucket)
	ctx := context.Background()
	c := cli{db: filepath.Join(t.TempDir(), "c.duckdb"), env: srv.Env()}
	loc := "s3://" + bucket + "/"
	c.run(t, "ingest", "-q", loc).want(t, 3, "clean ingest")
	clean := dump(t, c.db, dumpOpts{})

	// The objects to corrupt: the first of each kind that is not junk.
	var ct, flow, cfg []string
	for _, k := range archiveKeys(t, dir) {
		switch {
		case isJunk(m, k):
		case strings.Contains(k, "_CloudTrail_"):
			ct = append(ct, k)
		case strings.Contains(k, "_vpcflowlogs_") && strings.HasSuffix(k, ".log.gz"):
			flow = append(flow, k)
		case strings.Contains(k, "_ConfigHistory_"):
			cfg = append(cfg, k)
		}
	}
	// The changed object holds the kept copy of an event delivered twice:
	// its new version drops that event, which must then come from the
	// other object that delivered it.
	changed, other, dupID := duplicated(t, dir, m)
	recs := ctRecords(t, filepath.Join(dir, changed))
	var kept []json.RawMessage
	for _, r := range recs {
		if !bytes.Contains(r, []byte(`"eventID":"`+dupID+`"`)) {
			kept = append(kept, r)
		}
	}
	newBody, _ := json.Marshal(map[string]any{"Records": kept})
	ct = slices.DeleteFunc(ct, func(k string) bool { return k == changed || k == other })

	orig := func(k string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(k)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bad := []struct {
		key, what string
		body      []byte
		err       string // the error must say this
	}{
		{ct[0], "truncated gzip", orig(ct[0])[:len(orig(ct[0]))/2], "gzip: unexpected end of data (truncated object?)"},
		{flow[0], "garbage", bytes.Repeat([]byte("\x00\x17garbage\xff"), 100), ""},
		{ct[1], "JSON that is not CloudTrail", gzipBytes([]byte(`{"hello":"world","items":[1,2,3]}`)), `not a CloudTrail log file: no "Records" array`},
		{cfg[0], "empty gzip stream", gzipBytes(nil), ""},
		{flow[1], "0-byte .gz", nil, "empty object (0 bytes)"},
	}
	put := func(key string, body []byte) {
		if err := st.Put(ctx, key, bytes.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range bad {
		put(b.key, b.body)
	}
	put(changed, gzipBytes(newBody))

	r := c.run(t, "ingest", "--output", "json", loc).want(t, 3, "ingest of corrupted objects")
	s := summary(t, r)
	if want := len(expect(m).failed) + len(bad); s.Failed != int64(want) || s.Loaded != 1 {
		t.Errorf("corrupted run: %d failed, %d loaded; want %d failed (junk and corrupted), 1 loaded (the changed object)\n%s", s.Failed, s.Loaded, want, r)
	}
	db := openDB(t, c.db)
	for _, b := range bad {
		var status, msg string
		if err := db.QueryRow("SELECT status, coalesce(error, '') FROM ingest_objects WHERE key = ?", b.key).Scan(&status, &msg); err != nil {
			t.Fatalf("%s (%s): %v", b.key, b.what, err)
		}
		if status != "failed" || msg == "" || (b.err != "" && !strings.Contains(msg, b.err)) {
			t.Errorf("%s object: status %s, error %q; want failed, saying %q", b.what, status, msg, b.err)
		}
		t.Logf("%s: %s", b.what, msg)
		// The rows of the old version are gone: the object's content is
		// no longer what they were decoded from.
		for _, table := range dataTables() {
			if n := queryInt(t, db, "SELECT count(*) FROM "+table+" WHERE source_key = ?", b.key); n != 0 {
				t.Errorf("%s object: %d rows of its old version left in %s", b.what, n, table)
			}
		}
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail WHERE source_key = ?", changed); n != int64(len(kept)) {
		t.Errorf("changed object: %d rows, want its new %d (replaced, not added)", n, len(kept))
	}
	var from string
	if err := db.QueryRow("SELECT source_key FROM cloudtrail WHERE event_id = ?", dupID).Scan(&from); err != nil || from != other {
		t.Errorf("event %s, no longer in %s but still delivered in %s: source_key %q, %v", dupID, changed, other, from, err)
	}
	if n := queryInt(t, db, "SELECT count(*) - count(DISTINCT event_id) FROM cloudtrail"); n != 0 {
		t.Errorf("%d duplicate events after the corrupted run", n)
	}
	db.Close()

	// What a clean ingest of the bucket as it is now gives, but for the
	// failed objects (the bad ones fail there too).
	fresh := cli{db: filepath.Join(t.TempDir(), "fresh.duckdb"), env: srv.Env()}
	fresh.run(t, "ingest", "-q", loc).want(t, 3, "fresh ingest of the corrupted bucket")
	got, want := dump(t, c.db, dumpOpts{}), dump(t, fresh.db, dumpOpts{})
	delete(got, "ingest_objects") // errors and ETags of failed objects differ in ways that do not matter here
	delete(want, "ingest_objects")
	diffDumps(t, "incremental vs fresh ingest of the corrupted bucket", want, got)

	// Restore, re-run: the tables are those of the clean ingest.
	for _, b := range bad {
		put(b.key, orig(b.key))
	}
	put(changed, orig(changed))
	r = c.run(t, "ingest", "--output", "json", loc).want(t, 3, "ingest of the restored objects")
	if s := summary(t, r); s.Loaded != int64(len(bad))+1 {
		t.Errorf("restored run loaded %d objects, want %d", s.Loaded, len(bad)+1)
	}
	diffDumps(t, "restored vs clean", clean, dump(t, c.db, dumpOpts{}))
}
