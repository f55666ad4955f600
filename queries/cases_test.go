package queries

import (
	"context"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
)

var packsDir = flag.String("packs-dir", "", "also run the cases of the packs in this directory")

func loadTestCatalog(t *testing.T) *Catalog {
	t.Helper()
	var extra []string
	if *packsDir != "" {
		extra = append(extra, *packsDir)
	}
	c, err := Load(extra...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCases runs every case of every detection (subtests pack/id/case).
func TestCases(t *testing.T) {
	ctx := context.Background()
	c := loadTestCatalog(t)
	db, err := NewCaseDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables := sourceTables()
	for _, d := range c.Detections {
		t.Run(d.Pack.Name+"/"+d.ID, func(t *testing.T) {
			if missing := missingSources(d, tables); len(missing) > 0 {
				t.Skipf("%s: not created by any ingest source yet", strings.Join(missing, ", "))
			}
			cases, err := LoadCases(d)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckCaseCoverage(cases); err != nil {
				t.Errorf("%s: %v", filepath.Join(d.Pack.Path, CasesPath(d.ID)), err)
			}
			for _, tc := range cases {
				t.Run(tc.Name, func(t *testing.T) {
					if _, err := db.Run(ctx, d, tc); err != nil {
						t.Error(err)
					}
				})
			}
		})
	}
}

func TestCheckSchema(t *testing.T) {
	c := loadTestCatalog(t)
	err := CheckSchema(context.Background(), c)
	for _, e := range unjoin(err) {
		if errors.Is(e, ErrSourceMissing) {
			t.Logf("skipped: %v", e)
			continue
		}
		t.Error(e)
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
