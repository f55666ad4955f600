package ingest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite generated files")

func TestSchemaDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "SCHEMA.md")
	got := SchemaMarkdown(All())
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go test ./ingest -run TestSchemaDoc -update", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("docs/SCHEMA.md is stale; run go test ./ingest -run TestSchemaDoc -update (-file +generated):\n%s", diff)
	}
}
