package tabular

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditlake/auditlake/internal/duck"
)

// query opens a scratch database and runs q.
func query(t *testing.T, q string) *sql.Rows {
	t.Helper()
	db, err := duck.Open(context.Background(), filepath.Join(t.TempDir(), "t.duckdb"), duck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rows.Close() })
	return rows
}

const sample = `SELECT * FROM (VALUES
  (1, 'alice', TIMESTAMPTZ '2026-10-03 10:00:00+02', ['a', 'b'], '{"MFAUsed":"Yes"}'::JSON, true, 1.5::DECIMAL(4,1)),
  (2, 'bob, "the builder"' || chr(10) || 'line two', NULL, [], NULL, false, NULL),
  (3, 'zoë ✓', TIMESTAMPTZ '2026-10-31 23:59:59.123456+00', NULL, '[1,2]'::JSON, NULL, -0.05)
) t(id, name, "at", tags, payload, ok, amount) ORDER BY id`

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	n, err := Write(&b, query(t, sample), "csv", Options{})
	if err != nil || n != 3 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180: %v", err)
	}
	want := [][]string{
		{"id", "name", "at", "tags", "payload", "ok", "amount"},
		{"1", "alice", "2026-10-03T08:00:00Z", `["a","b"]`, `{"MFAUsed":"Yes"}`, "true", "1.50"},
		{"2", "bob, \"the builder\"\nline two", "", "[]", "", "false", ""},
		{"3", "zoë ✓", "2026-10-31T23:59:59.123456Z", "", "[1,2]", "", "-0.05"},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %q", len(recs), len(want), recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d:\n got %q\nwant %q", i, recs[i], want[i])
		}
	}
}

func TestJSONAndJSONL(t *testing.T) {
	var b bytes.Buffer
	if _, err := Write(&b, query(t, sample), "json", Options{}); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(b.Bytes(), &rows); err != nil {
		t.Fatalf("json: %v\n%s", err, b.String())
	}
	if len(rows) != 3 || rows[0]["at"] != "2026-10-03T08:00:00Z" || rows[1]["at"] != nil || rows[2]["name"] != "zoë ✓" {
		t.Fatalf("json rows: %v", rows)
	}
	if tags, ok := rows[0]["tags"].([]any); !ok || len(tags) != 2 || tags[1] != "b" {
		t.Fatalf("a list must stay a JSON array, got %#v", rows[0]["tags"])
	}
	// Column order is kept.
	if first := b.String()[strings.Index(b.String(), "{"):]; !strings.HasPrefix(first, `{"id":1,"name":"alice","at"`) {
		t.Fatalf("column order lost: %.60s", first)
	}

	b.Reset()
	if _, err := Write(&b, query(t, sample), "jsonl", Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("jsonl: %d lines, want 3 (a newline inside a value must be escaped)", len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("invalid JSON line %q", l)
		}
	}

	b.Reset()
	if _, err := Write(&b, query(t, "SELECT 1 AS x WHERE false"), "json", Options{}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b.Bytes(), &rows); err != nil || len(rows) != 0 {
		t.Fatalf("no rows must give an empty array, got %q (%v)", b.String(), err)
	}
}

func TestTable(t *testing.T) {
	var b bytes.Buffer
	n, err := Write(&b, query(t, sample), "table", Options{MaxWidth: 12, MaxRows: 2})
	if err != nil || n != 3 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	// header, rule, two rows, the "first 2 shown" note.
	if len(lines) != 5 {
		t.Fatalf("got %d lines:\n%s", len(lines), b.String())
	}
	if !strings.Contains(lines[3], `bob, "the b…`) || !strings.Contains(lines[3], "NULL") {
		t.Errorf("row 2 should be cut to 12 columns with an ellipsis and show NULL: %q", lines[3])
	}
	if !strings.Contains(lines[4], "3 rows, first 2 shown") {
		t.Errorf("missing the truncation note: %q", lines[4])
	}
	// Columns line up: every separator of row lines at the same rune offset.
	col := func(s string) int { return len([]rune(s[:strings.Index(s, "│")])) }
	if col(lines[0]) != col(lines[2]) || col(lines[2]) != col(lines[3]) {
		t.Errorf("columns not aligned:\n%s", b.String())
	}
}

func TestUnknownFormat(t *testing.T) {
	_, err := Write(&bytes.Buffer{}, query(t, "SELECT 1"), "xml", Options{})
	if err == nil || !strings.Contains(err.Error(), "table, csv, json, jsonl") {
		t.Fatalf("want an error listing the formats, got %v", err)
	}
}
