package confighistory

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
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
	if _, err := os.Stat(filepath.Join(dir, "config")); err != nil {
		t.Skipf("public sample corpus not found at %s (set AUDITLAKE_CORPUS)", dir)
	}
	return dir
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

// oracleItems parses a Config file or a configuration item change
// notification with encoding/json, independently of the decoder.
func oracleItems(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var doc struct {
		ConfigurationItems []map[string]any `json:"configurationItems"`
		ConfigurationItem  map[string]any   `json:"configurationItem"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("oracle: %v", err)
	}
	if doc.ConfigurationItem != nil {
		return []map[string]any{doc.ConfigurationItem}
	}
	return doc.ConfigurationItems
}

// first returns the first of the named members that an item has.
func first(item map[string]any, names ...string) any {
	for _, n := range names {
		if v, ok := item[n]; ok {
			return v
		}
	}
	return nil
}

// TestCorpus decodes every Config object and example in the corpus: every
// item loads, and every column holds what an independent encoding/json
// parse of the item says, whichever vocabulary the item uses.
func TestCorpus(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "config")
	var files, items int
	kinds := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") && !strings.HasSuffix(path, ".json.gz") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		obj := source.Object{Key: filepath.ToSlash(rel), Kind: kindFromContents}
		body := readMaybeGzip(t, path)
		if i := strings.Index(obj.Key, "AWSLogs/"); i >= 0 {
			obj.Key = obj.Key[i:]
			m, byKey := classify(obj.Key)
			if !byKey || !m.Load {
				t.Errorf("%s: key not recognised as a loadable Config object (%+v)", rel, m)
			}
			obj.Kind, obj.Partition = m.Kind, m.Partition
			kinds[m.Kind]++
		} else if !New().Sniff(body[:min(len(body), 512)]) && !strings.Contains(rel, "invokingEvent") {
			// The invoking event starts with configurationItemDiff: the
			// item is past the sniffed head, and such objects are only
			// read under the OversizedChangeNotification/ layout.
			t.Errorf("%s: content not recognised", rel)
		}
		want := oracleItems(t, body)
		rows, st, err := decodeAll(t, obj, body)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if st.Skipped != 0 || int(st.Rows) != len(want) || len(rows) != len(want) {
			t.Errorf("%s: decoded %d rows, skipped %d (%v); the file has %d items", rel, st.Rows, st.Skipped, st.Samples, len(want))
			return nil
		}
		files++
		items += len(rows)
		for i, item := range want {
			checkRow(t, rel, i, obj, item, rows[i])
		}
		if obj.Kind == KindSnapshot {
			// The documentation's snapshot names itself by requestId.
			var file struct{ RequestID string }
			json.Unmarshal(body, &file)
			for i, r := range rows {
				if r["snapshot_id"] != file.RequestID || r["file_kind"] != "snapshot" {
					t.Errorf("%s item %d: snapshot_id %v, file_kind %v; want %s, snapshot", rel, i, r["snapshot_id"], r["file_kind"], file.RequestID)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// SOURCES.md: the history example (3 items) and the snapshot example
	// (2), each verbatim and gzipped at its key; the powertools item,
	// verbatim and wrapped in a history file.
	if files != 6 || items != 12 {
		t.Errorf("%d files, %d items; SOURCES.md documents 6 files holding 12 items", files, items)
	}
	if kinds[KindHistory] != 2 || kinds[KindSnapshot] != 1 {
		t.Errorf("objects by layout: %v, want 2 history and 1 snapshot", kinds)
	}
}

func checkRow(t *testing.T, rel string, i int, obj source.Object, item, row map[string]any) {
	t.Helper()
	str := func(col string, want any) {
		t.Helper()
		if want == nil {
			if row[col] != nil {
				t.Errorf("%s item %d: %s = %v, want NULL", rel, i, col, row[col])
			}
			return
		}
		if row[col] != want {
			t.Errorf("%s item %d: %s = %v, want %v", rel, i, col, row[col], want)
		}
	}
	str("resource_id", item["resourceId"])
	str("resource_type", item["resourceType"])
	str("resource_name", item["resourceName"])
	str("status", item["configurationItemStatus"])
	str("arn", first(item, "ARN", "arn"))
	str("account_id", first(item, "awsAccountId", "accountId"))
	str("item_version", first(item, "configurationItemVersion", "snapshotVersion"))
	str("availability_zone", first(item, "availabilityZone", "availibilityZone"))
	region := first(item, "awsRegion")
	if region == nil && obj.Partition.Region != "" {
		region = obj.Partition.Region
	}
	str("region", region)

	switch id := first(item, "configurationStateId", "configurationStateID", "configurationItemState").(type) {
	case float64:
		if row["state_id"] != int64(id) || row["state_id_text"] != nil {
			t.Errorf("%s item %d: state_id %v / %v, want %v", rel, i, row["state_id"], row["state_id_text"], int64(id))
		}
	case string:
		if row["state_id"] != nil || row["state_id_text"] != id {
			t.Errorf("%s item %d: state_id %v / %v, want text %v", rel, i, row["state_id"], row["state_id_text"], id)
		}
	default:
		t.Errorf("%s item %d: the corpus item has no state id (%T)", rel, i, id)
	}
	if md5, _ := item["configurationStateMd5Hash"].(string); md5 != "" {
		str("state_md5", md5)
	} else {
		str("state_md5", nil)
	}

	for col, field := range map[string]string{"capture_time": "configurationItemCaptureTime", "resource_creation_time": "resourceCreationTime"} {
		s, _ := item[field].(string)
		if s == "" {
			str(col, nil)
			continue
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("oracle: %s: %v", field, err)
		}
		got, _ := row[col].(string)
		if g, err := time.Parse(time.RFC3339Nano, got); err != nil || !g.Equal(tm) {
			t.Errorf("%s item %d: %s = %q, want %s", rel, i, col, got, s)
		}
	}
	for col, field := range map[string]string{"configuration": "configuration", "tags": "tags", "relationships": "relationships",
		"related_events": "relatedEvents", "supplementary_configuration": "supplementaryConfiguration"} {
		want, present := item[field]
		raw, _ := row[col].(json.RawMessage)
		if !present || want == nil {
			if raw != nil {
				t.Errorf("%s item %d: %s = %s, want NULL", rel, i, col, raw)
			}
			continue
		}
		var got any
		if err := json.Unmarshal(raw, &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s item %d: %s differs from the item's %s (%v)", rel, i, col, field, err)
		}
	}
	if row["extra"] != nil {
		t.Errorf("%s item %d: fields left in extra: %s", rel, i, row["extra"])
	}
	if row["capture_time"] == nil || row["account_id"] == nil {
		t.Errorf("%s item %d: a key column is NULL: %v", rel, i, row)
	}
}
