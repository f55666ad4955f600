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
)

// readmeQueries returns the SQL examples of the README's "Investigating with
// SQL" section, in order.
func readmeQueries(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		queries   []string
		inSection bool
		inSQL     bool
		cur       strings.Builder
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			inSection = line == "## Investigating with SQL"
		case !inSection:
		case line == "```sql":
			inSQL = true
			cur.Reset()
		case inSQL && line == "```":
			inSQL = false
			queries = append(queries, strings.TrimSpace(cur.String()))
		case inSQL:
			cur.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return queries
}

// TestReadmeQueries runs every example query of the README through
// `auditlake sql` against a database ingested from a generated archive, and
// checks that each one returns rows: an example that errors, or finds
// nothing on data that has what it looks for, is a broken example.
func TestReadmeQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests an archive")
	}
	queries := readmeQueries(t)
	if len(queries) < 10 {
		t.Fatalf("found %d README queries, want the whole 'Investigating with SQL' section", len(queries))
	}

	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	cfg := synth.Demo()
	cfg.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Days = 4
	cfg.EventsPerDay = 3000
	cfg.EventsPerFile = 250
	cfg.FlowRecordsPerDay = 3000
	ctx := context.Background()
	if _, err := synth.Generate(ctx, cfg, synth.DirWriter(archive)); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "readme.duckdb")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"--db", db, "--quiet", "ingest", archive}, &out, &errb); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, errb.String())
	}

	for i, q := range queries {
		out.Reset()
		errb.Reset()
		code := run(ctx, []string{"--db", db, "sql", "--format", "json", q}, &out, &errb)
		if code != exitOK {
			t.Errorf("README query %d failed (exit %d): %s\n%s", i+1, code, errb.String(), q)
			continue
		}
		var rows []map[string]any
		if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
			t.Errorf("README query %d: output is not a JSON array: %v\n%s", i+1, err, out.String())
			continue
		}
		t.Logf("README query %d: %d rows", i+1, len(rows))
		if len(rows) == 0 {
			t.Errorf("README query %d returned no rows on the generated archive:\n%s", i+1, q)
		}
	}
}
