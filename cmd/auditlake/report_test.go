package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/evidence"
	"github.com/auditlake/auditlake/internal/synth"
)

// TestReportAndVerify drives report and verify through the CLI: exit
// codes, the pack folder, signing, and --no-detect reproducibility.
func TestReportAndVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests an archive")
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	cfg := synth.Demo()
	cfg.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Days = 2
	cfg.EventsPerDay = 1500
	cfg.EventsPerFile = 250
	cfg.FlowRecordsPerDay = 1500
	ctx := context.Background()
	if _, err := synth.Generate(ctx, cfg, synth.DirWriter(archive)); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "t.duckdb")
	cli := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"--db", db}, args...), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := cli("--quiet", "ingest", archive); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}

	pub, priv, _ := ed25519.GenerateKey(nil)
	keyPEM, _ := evidence.MarshalPrivateKey(priv)
	pubPEM, _ := evidence.MarshalPublicKey(pub)
	keyFile, pubFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	os.WriteFile(keyFile, keyPEM, 0o600)
	os.WriteFile(pubFile, pubPEM, 0o644)

	out1 := filepath.Join(dir, "ev1")
	code, out := cli("report", "--period", "2026-10", "--framework", "iso27001", "--org-name", "Example Corp",
		"--out", out1, "--sign-key", keyFile, "--zip")
	if code != exitOK {
		t.Fatalf("report: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "Detection run ") {
		t.Errorf("report did not run the detections first:\n%s", out)
	}
	packs, _ := filepath.Glob(filepath.Join(out1, "2026-10_iso27001_*"))
	if len(packs) != 2 { // the folder and its zip
		t.Fatalf("pack outputs %v, want a folder and a zip", packs)
	}
	pack := packs[0]
	if strings.HasSuffix(pack, ".zip") {
		pack = packs[1]
	}
	if code, out := cli("verify", pack, "--pubkey", pubFile); code != exitOK || !strings.Contains(out, "signature valid") {
		t.Fatalf("verify fresh pack: exit %d\n%s", code, out)
	}
	f := filepath.Join(pack, "csv", "controls.csv")
	orig, _ := os.ReadFile(f)
	os.WriteFile(f, append(bytes.Clone(orig), "x"...), 0o644)
	if code, out := cli("verify", pack); code != exitError || !strings.Contains(out, "csv/controls.csv") {
		t.Errorf("verify changed pack: exit %d, want 1 naming csv/controls.csv\n%s", code, out)
	}
	os.WriteFile(f, orig, 0o644)

	// --no-detect reuses the recorded run: the CSVs come out the same.
	out2 := filepath.Join(dir, "ev2")
	if code, out := cli("--quiet", "report", "--period", "2026-10", "--framework", "iso27001", "--org-name", "Example Corp",
		"--out", out2, "--no-detect"); code != exitOK {
		t.Fatalf("report --no-detect: exit %d\n%s", code, out)
	}
	again, _ := filepath.Glob(filepath.Join(out2, "2026-10_iso27001_*", "csv", "findings.csv"))
	if len(again) != 1 {
		t.Fatalf("second pack: %v", again)
	}
	a, _ := os.ReadFile(filepath.Join(pack, "csv", "findings.csv"))
	b, _ := os.ReadFile(again[0])
	if !bytes.Equal(a, b) || len(a) == 0 {
		t.Error("findings.csv differs between a pack and its --no-detect rebuild")
	}

	for _, args := range [][]string{
		{"report", "--period", "2026-13", "--out", out2},
		{"report", "--out", out2},
		{"report", "--period", "2026-10", "--from", "2026-10-01", "--to", "2026-10-02", "--out", out2},
		{"report", "--period", "2026-10", "--framework", "pci", "--out", out2},
		{"verify"},
	} {
		if code, out := cli(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUsage, out)
		}
	}
	if code, out := cli("report", "--period", "2026-06", "--out", out2, "--no-detect"); code != exitError || !strings.Contains(out, "no detection run") {
		t.Errorf("report for a period without a run: exit %d\n%s", code, out)
	}
}
