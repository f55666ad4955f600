package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir is ../shared/corpus next to the repository, or
// $AUDITLAKE_CORPUS. Tests that need it skip when it is absent.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "cloudtrail")); err != nil {
		t.Skipf("public sample corpus not found at %s (set AUDITLAKE_CORPUS)", dir)
	}
	return dir
}

func readMaybeGzip(t *testing.T, path string) []byte {
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

// TestCorpusObjects decodes every real CloudTrail object in the corpus and
// checks the rows against an independent parse (encoding/json) and against
// the counts SOURCES.md documents.
func TestCorpusObjects(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "cloudtrail")
	perSet := map[string]int64{}
	var all []map[string]any
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json.gz") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		set := strings.Split(rel, string(filepath.Separator))[0]
		i := strings.Index(rel, "AWSLogs")
		if i < 0 {
			return nil // parser fixtures, tested below
		}
		key := filepath.ToSlash(rel[i:])
		if strings.Contains(key, "CloudTrail-Digest") {
			m, ok := layouts[2].Match(filepath.ToSlash(key))
			if !ok || New().Classify(key, m).Load {
				t.Errorf("%s: digest not recognised as a digest", rel)
			}
			return nil
		}
		if _, ok := layouts[0].Match(filepath.ToSlash(key)); !ok {
			t.Errorf("%s: key does not match the CloudTrail layout", rel)
		}
		body := readMaybeGzip(t, path)
		var oracle struct{ Records []json.RawMessage }
		if err := json.Unmarshal(body, &oracle); err != nil {
			t.Fatalf("%s: oracle: %v", rel, err)
		}
		rows, st, err := decodeAll(t, "cloudtrail", body)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if st.Skipped != 0 || int(st.Rows) != len(oracle.Records) || len(rows) != len(oracle.Records) {
			t.Errorf("%s: decoded %d rows, skipped %d (%v); the file has %d records", rel, st.Rows, st.Skipped, st.Samples, len(oracle.Records))
		}
		perSet[set] += st.Rows
		if set == "invictus-ir-aws_dataset" {
			all = append(all, rows...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for set, want := range map[string]int64{"invictus-ir-aws_dataset": 2900, "stratus-red-team-detonation-logs": 310, "awsdocs-cloudtrail-user-guide": 22} {
		if perSet[set] != want {
			t.Errorf("%s: %d rows, SOURCES.md documents %d", set, perSet[set], want)
		}
	}
	// The invictus mix, as SOURCES.md counts it.
	count := func(col string) map[string]int {
		m := map[string]int{}
		for _, r := range all {
			v, _ := r[col].(string)
			m[v]++
		}
		return m
	}
	ids, types, errs := count("identity_type"), count("event_type"), count("error_code")
	for k, want := range map[string]int{"IAMUser": 2748, "AssumedRole": 76, "AWSService": 34, "": 42} {
		if ids[k] != want {
			t.Errorf("identity_type %q: %d, want %d", k, ids[k], want)
		}
	}
	for k, want := range map[string]int{"AwsApiCall": 2855, "AwsServiceEvent": 42, "AwsConsoleSignIn": 3} {
		if types[k] != want {
			t.Errorf("event_type %q: %d, want %d", k, types[k], want)
		}
	}
	for k, want := range map[string]int{"ThrottlingException": 102, "Client.UnauthorizedOperation": 44, "AccessDenied": 16, "NoSuchBucketPolicy": 14} {
		if errs[k] != want {
			t.Errorf("error_code %q: %d, want %d", k, errs[k], want)
		}
	}
	for _, r := range all {
		if r["event_time"] == nil || r["event_id"] == nil {
			t.Fatalf("row without time or id: %v", r)
		}
		if r["identity_type"] == nil && r["principal"] == nil {
			t.Errorf("service event without a principal: %v", r["event_id"])
		}
	}
}

// TestCorpusParserEdgeCases runs the AWS CloudTrail Processing Library's
// parser fixtures: every valid file loads whole, the invalid one fails.
func TestCorpusParserEdgeCases(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "cloudtrail", "aws-cloudtrail-processing-library")
	files, _ := filepath.Glob(filepath.Join(dir, "Serializer*.json"))
	if len(files) == 0 {
		t.Skip("processing library fixtures absent")
	}
	var total int64
	for _, f := range files {
		rows, st, err := decodeAll(t, "cloudtrail", readMaybeGzip(t, f))
		name := filepath.Base(f)
		if name == "SerializerTestFileBadJsonFormat.json" {
			if err == nil {
				t.Errorf("%s: decoded without error", name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// One fixture has eventTime "ThisIsAWrongEventTime": a record that
		// cannot be placed in time is skipped, and says why.
		if name == "SerializerTestFileMissField.json" {
			if st.Skipped != 1 || !strings.Contains(strings.Join(st.Samples, ""), "ThisIsAWrongEventTime") {
				t.Errorf("%s: want the record with a bad eventTime skipped, got %d skipped: %v", name, st.Skipped, st.Samples)
			}
		} else if st.Skipped != 0 {
			t.Errorf("%s: skipped %d: %v", name, st.Skipped, st.Samples)
		}
		total += int64(len(rows)) + st.Skipped
		if name == "SerializerTestFileNewFieldsInRoot.json" {
			found := false
			for _, r := range rows {
				found = found || r["extra"] != nil
			}
			if !found {
				t.Errorf("%s: new top-level fields not kept in extra", name)
			}
		}
	}
	if total != 35 {
		t.Errorf("%d records loaded or skipped in the valid files, SOURCES.md documents 35", total)
	}
}
