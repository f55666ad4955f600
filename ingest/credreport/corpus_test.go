package credreport

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDir is ../shared/corpus next to the repository, or
// $AUDITLAKE_CORPUS. Tests that need it skip when it is absent.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("AUDITLAKE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "credential-report")); err != nil {
		t.Skipf("public sample corpus not found at %s (set AUDITLAKE_CORPUS)", dir)
	}
	return filepath.Join(dir, "credential-report")
}

// TestCorpus decodes every published credential report and checks each row
// against encoding/csv's reading of the same file: every field lands in its
// columns, the *_raw columns hold the text as written, typed columns are
// NULL exactly for the words IAM writes where a value does not apply.
//
// The published files sit at keys without a date, as they would if someone
// copied them into a bucket by hand: loaded at such a key they fail with a
// message saying how to name them; at a credential-reports/ key they load.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".csv") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no CSV files in the corpus")
	}
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		t.Run(rel, func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !New().Sniff(body[:min(len(body), 512)]) {
				t.Error("content not recognised by Sniff")
			}
			if _, _, err := decodeAll(t, objectFor("corpus/"+filepath.ToSlash(rel)), bytes.NewReader(body)); err == nil || !strings.Contains(err.Error(), "no generation time") {
				t.Errorf("at its own key: err %v, want the no-generation-time error", err)
			}

			cr := csv.NewReader(bytes.NewReader(body))
			records, err := cr.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			header, records := records[0], records[1:]
			key := "credential-reports/123456789012/2026-10-31T081500Z.csv"
			rows, st, err := decodeAll(t, objectFor(key), bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if st.Skipped != 0 || len(rows) != len(records) {
				t.Fatalf("%d rows, %d skipped (%v); the file has %d", len(rows), st.Skipped, st.Samples, len(records))
			}
			if len(header) != 16 && len(header) != 22 {
				t.Errorf("header of %d columns", len(header))
			}
			for i, rec := range records {
				row := rows[i]
				if row["account_id"] != "123456789012" || row["generated_at"] != "2026-10-31T08:15:00Z" || row["generated_at_source"] != "key" {
					t.Errorf("row %d: account %v, generated %v from %v", i, row["account_id"], row["generated_at"], row["generated_at_source"])
				}
				root := strings.HasSuffix(rec[1], ":root")
				if row["is_root"] != root || root && row["user_name"] != "<root_account>" || !root && row["user_name"] != rec[0] {
					t.Errorf("row %d: user %v (root %v), the file says %q", i, row["user_name"], row["is_root"], rec[0])
				}
				for fi, name := range header {
					v := rec[fi]
					for _, ci := range fieldColumns[name] {
						checkCell(t, i, columns[ci], row[columns[ci].name], v)
					}
				}
			}
		})
	}
}

// checkCell compares one column of a decoded row with the field's text.
func checkCell(t *testing.T, row int, c column, got any, text string) {
	t.Helper()
	sentinel := text == "N/A" || text == "not_supported" || text == "no_information"
	var want any
	switch c.kind {
	case kRaw:
		want = text
	case kString:
		if !sentinel {
			want = text
		}
	case kBool:
		if !sentinel {
			want = text == "true"
		}
	case kTime:
		if !sentinel {
			ts, err := time.Parse(time.RFC3339, text)
			if err != nil {
				t.Fatalf("row %d: %s %q is not RFC 3339", row, c.field, text)
			}
			want = ts.UTC().Format(time.RFC3339Nano)
		}
	}
	if c.name == "user_name" || c.name == "is_root" {
		return // checked by the caller (root is renamed)
	}
	if got != want {
		t.Errorf("row %d: %s = %v, want %v (the file says %q)", row, c.name, got, want, text)
	}
}
