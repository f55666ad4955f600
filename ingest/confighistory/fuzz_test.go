package confighistory

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/google/go-cmp/cmp"

	"github.com/auditlake/auditlake/ingest/source"
)

// maxFuzzInput bounds one fuzz input, so that memory stays bounded
// whatever the mutator produces; maxSeed bounds corpus seeds.
const (
	maxFuzzInput = 1 << 20
	maxSeed      = 256 << 10
)

// fuzzKeys are the keys a fuzz input is decoded under: one per kind of
// Config object, and none (resolved by content).
var fuzzKeys = []string{
	"",
	"AWSLogs/111122223333/Config/eu-west-1/2026/10/30/ConfigHistory/111122223333_Config_eu-west-1_ConfigHistory_AWS::EC2::SecurityGroup_20261030T060000Z_20261030T120000Z_1.json.gz",
	"AWSLogs/111122223333/Config/eu-west-1/2026/10/30/ConfigSnapshot/111122223333_Config_eu-west-1_ConfigSnapshot_20261030T060000Z_0123abcd-4567-89ef-0123-456789abcdef.json.gz",
	"AWSLogs/111122223333/Config/eu-west-1/2026/10/30/OversizedChangeNotification/AWS::EC2::Instance/i-0abc/111122223333_Config_eu-west-1_ChangeNotification_AWS::EC2::Instance_i-0abc_20261030T060000Z_1.json.gz",
}

// FuzzDecode feeds arbitrary bytes (a decompressed object body) to Decode
// under each kind of key. Whatever the input: no panic; every batch has the
// table's schema and columns of the batch's length; no row lacks a capture
// time, resource type or resource id; strings are valid UTF-8 and JSON
// columns valid JSON; rows never outnumber the input's bytes; and
// the pooled decoder decodes the next object exactly as a fresh one does.
func FuzzDecode(f *testing.F) {
	seeds := fuzzSeeds()
	for _, s := range seeds {
		f.Add(s.body, s.key)
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"configurationItems":null}`, `{"configurationItems":{}}`,
		`{"configurationItems":[]}`, `{"configurationItems":[{}]}`, `{"configurationItems":[null,1,"x",[]]}`,
		`{"fileVersion":"1.0","configurationItems":[{"configurationItemCaptureTime":"2026-10-30T06:00:00.000Z","resourceType":"AWS::S3::Bucket","resourceId":"b","configuration":"{\"a\":1}","supplementaryConfiguration":{"BucketPolicy":"{\"policyText\":\"{}\"}"}}]}`,
		`{"configurationItems":[{"configurationItemCaptureTime":1700000000.5,"configuration":"not json","tags":{"k":"\ud800"}}]}`,
		`{"Type":"Notification","Message":"{\"messageType\":\"OversizedConfigurationItemChangeNotification\"}"}`,
		`{"messageType":"ConfigurationItemChangeNotification","configurationItem":{"resourceId":"x"}}`,
		"{\"configurationItems\":[{\"resourceId\":\"\xff\",\"x\xfe\":1}]}",
		`{"configurationItems":[]} {}`,
		`{"configurationItems":[{"resourceId":"a"`,
		`{"fileVersion":"1.0","configurationItems":[{"configurationItemCaptureTime":"2026-10-30T09:15:02.118Z","resourceType":"T","resourceId":"r","configuration":"{\"a\":1}","supplementaryConfiguration":{"X":"[1,2]"}}]}`,
		`{"configurationItem":{"configurationItemCaptureTime":1394225228.918,"resourceType":"T","resourceId":"r","configurationStateId":"12"},"messageType":"ConfigurationItemChangeNotification"}`,
		`{"Type":"Notification","Message":"{\"messageType\":\"OversizedConfigurationItemChangeNotification\",\"configurationItemSummary\":{}}"}`,
		`{"configurationItems":[1,"x",null,{}]}`,
	} {
		for k := range fuzzKeys {
			f.Add([]byte(s), uint8(k))
		}
	}
	// The reference object and what a fresh decoder makes of it.
	refBody, err := os.ReadFile(filepath.Join("testdata", "current_schema", "input.json"))
	if err != nil {
		f.Fatal(err)
	}
	refObj := object(1)
	want, _, err := decodeAll(f, refObj, refBody)
	if err != nil || len(want) == 0 {
		f.Fatalf("reference object: %d rows, %v", len(want), err)
	}
	wantJSON, _ := json.Marshal(want)
	f.Fuzz(func(t *testing.T, in []byte, k uint8) {
		if len(in) > maxFuzzInput {
			t.Skip()
		}
		var rows int64
		st, err := New().Decode(context.Background(), object(k), bytes.NewReader(in), func(b arrow.RecordBatch) error {
			defer b.Release()
			rows += checkBatch(t, b)
			return nil
		})
		if rows > int64(len(in)) || st.Rows+st.Skipped > int64(len(in)) {
			t.Fatalf("%d rows emitted, stats %d rows %d skipped, from %d bytes", rows, st.Rows, st.Skipped, len(in))
		}
		if err == nil && rows != st.Rows {
			t.Fatalf("emitted %d rows, Stats.Rows says %d", rows, st.Rows)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
		if len(st.Samples) > source.MaxSamples {
			t.Fatalf("%d samples kept, at most %d", len(st.Samples), source.MaxSamples)
		}
		got, _, err := decodeAll(t, refObj, refBody)
		if err != nil {
			t.Fatalf("reference object after the fuzz input: %v", err)
		}
		// Compared as JSON first: cmp.Diff on every execution would be
		// most of the fuzzer's time.
		if gotJSON, _ := json.Marshal(got); bytes.Equal(gotJSON, wantJSON) {
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("reference object decodes differently after the fuzz input (-want +got):\n%s", diff)
		}
	})
}

// object is the source.Object for fuzzKeys[k], classified as the loader
// would.
func object(k uint8) source.Object {
	key := fuzzKeys[int(k)%len(fuzzKeys)]
	m, _ := classify(key)
	return source.Object{Bucket: "fuzz", Key: key, Kind: m.Kind, Partition: m.Partition}
}

func checkBatch(t *testing.T, b arrow.RecordBatch) int64 {
	t.Helper()
	if !b.Schema().Equal(table.Schema()) {
		t.Fatalf("batch schema differs from the table's:\n%s", b.Schema())
	}
	n := int(b.NumRows())
	for _, c := range []int{colCaptureTime, colResourceType, colResourceID} {
		if b.Column(c).NullN() != 0 {
			t.Fatalf("NULL %s in an emitted row", table.Columns[c].Name)
		}
	}
	for c, col := range b.Columns() {
		if col.Len() != n {
			t.Fatalf("column %s has %d values in a batch of %d rows", b.ColumnName(c), col.Len(), n)
		}
		s, ok := col.(*array.String)
		if !ok {
			continue
		}
		for r := range n {
			if s.IsNull(r) {
				continue
			}
			v := s.Value(r)
			if !utf8.ValidString(v) {
				t.Fatalf("column %s row %d: invalid UTF-8 %q", b.ColumnName(c), r, v)
			}
			if table.Columns[c].SQL == jsonType && !json.Valid([]byte(v)) {
				t.Fatalf("column %s row %d: invalid JSON %q", b.ColumnName(c), r, v)
			}
		}
	}
	return int64(n)
}

type seed struct {
	body []byte
	key  uint8
}

// fuzzSeeds returns the golden inputs (under the kind of key each case
// uses) and, when the public corpus is present, its Config files.
func fuzzSeeds() []seed {
	keyOf := func(key string) uint8 {
		m, byKey := classify(key)
		if !byKey {
			return 0
		}
		for i, k := range fuzzKeys {
			if mk, _ := classify(k); mk.Kind == m.Kind {
				return uint8(i)
			}
		}
		return 0
	}
	var out []seed
	dirs, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "input.json"))
		if err != nil {
			continue
		}
		key, _ := os.ReadFile(filepath.Join(dir, "key"))
		out = append(out, seed{b, keyOf(strings.TrimSpace(string(key)))})
	}
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	dir = filepath.Join(dir, "config")
	if _, err := os.Stat(dir); err != nil {
		return out // no corpus: golden seeds only
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil
			}
			if b, err = io.ReadAll(io.LimitReader(zr, maxSeed+1)); err != nil {
				return nil
			}
		}
		if len(b) <= maxSeed {
			rel := filepath.ToSlash(p)
			key := ""
			if i := strings.Index(rel, "AWSLogs/"); i >= 0 {
				key = rel[i:]
			}
			out = append(out, seed{b, keyOf(key)})
		}
		return nil
	})
	return out
}
