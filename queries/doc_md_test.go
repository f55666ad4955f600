package queries

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/DETECTIONS.md, docs/CONFORMANCE.md)")

func TestDetectionsDoc(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "DETECTIONS.md")
	got := DetectionsMarkdown(c)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go test -tags duckdb_arrow ./queries -run TestDetectionsDoc -update", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("docs/DETECTIONS.md is stale; run go test -tags duckdb_arrow ./queries -run TestDetectionsDoc -update (-file +generated):\n%s", diff)
	}
}

func TestExampleDetection(t *testing.T) {
	dir := writePack(t, map[string]string{"acme_break_glass_used.sql": ExampleDetection})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := c.Detection("acme_break_glass_used")
	only := &Catalog{Detections: []*Detection{d}}
	if err := CheckSchema(context.Background(), only); err != nil {
		t.Fatal(err)
	}
}
