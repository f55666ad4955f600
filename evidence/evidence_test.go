package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/reports"
)

var genTime = time.Date(2026, 11, 23, 8, 35, 48, 0, time.UTC)

func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

func buildPack(t *testing.T, cfg Config) *Result {
	t.Helper()
	db := openRO(t, sharedDB(t))
	if cfg.OutDir == "" {
		cfg.OutDir = t.TempDir()
	}
	if cfg.Period.Label == "" {
		cfg.Period = mustPeriod("2026-10")
	}
	if cfg.Now == nil {
		cfg.Now = fixedNow(genTime)
	}
	cfg.ToolVersion = "v0.0.0-test"
	res, err := Build(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: no header row", path)
	}
	return recs
}

func column(t *testing.T, recs [][]string, name string) int {
	t.Helper()
	i := slices.Index(recs[0], name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, recs[0])
	}
	return i
}

func TestPackContents(t *testing.T) {
	res := buildPack(t, Config{Frameworks: []string{"soc2", "cis"}, Org: "Example Corp"})
	if got, want := filepath.Base(res.Dir), "2026-10_soc2+cis_aws_v3_20261123T083548Z"; got != want {
		t.Errorf("pack folder %q, want %q", got, want)
	}
	m := res.Model
	db := openRO(t, sharedDB(t))

	// findings.csv holds exactly the run's findings, with evidence references.
	var dbFindings int
	if err := db.QueryRow(`SELECT count(*) FROM findings WHERE run_id = ?`, m.Run.ID).Scan(&dbFindings); err != nil {
		t.Fatal(err)
	}
	if dbFindings == 0 {
		t.Fatal("the generated organisation gave no findings: the planted incidents should")
	}
	fr := readCSV(t, filepath.Join(res.Dir, "csv/findings.csv"))
	if len(fr)-1 != dbFindings {
		t.Errorf("findings.csv has %d rows, the run has %d findings", len(fr)-1, dbFindings)
	}
	iTime, iEvents, iObjects, iPrincipal := column(t, fr, "first_seen"), column(t, fr, "event_ids"), column(t, fr, "source_objects"), column(t, fr, "principal")
	iso := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	root := 0
	for _, r := range fr[1:] {
		if r[iTime] != "" && !iso.MatchString(r[iTime]) {
			t.Errorf("first_seen %q is not ISO 8601 UTC", r[iTime])
		}
		if r[iObjects] == "" {
			t.Errorf("finding %s has no source objects", r[0])
		}
		if r[iPrincipal] == "<root_account>" && r[iEvents] != "" {
			root++
		}
	}
	if root == 0 {
		t.Error("no finding about <root_account> with event ids: the planted root incidents are missing")
	}

	// controls.csv: one row per control of the selected frameworks; the
	// counts add up to the findings of the detections mapped to them.
	cr := readCSV(t, filepath.Join(res.Dir, "csv/controls.csv"))
	if want := len(m.Controls["soc2"]) + len(m.Controls["cis_aws_v3"]); len(cr)-1 != want {
		t.Errorf("controls.csv has %d rows, want %d", len(cr)-1, want)
	}
	iFW, iID, iStatus, iCount := column(t, cr, "framework"), column(t, cr, "control_id"), column(t, cr, "status"), column(t, cr, "finding_count")
	for _, r := range cr[1:] {
		n, _ := strconv.Atoi(r[iCount])
		per := readCSV(t, filepath.Join(res.Dir, "csv", r[iFW], reports.FileSafe(r[iID])+".csv"))
		if len(per)-1 != n {
			t.Errorf("%s %s: controls.csv says %d findings, its CSV has %d", r[iFW], r[iID], n, len(per)-1)
		}
		if (n > 0) != (r[iStatus] == reports.StatusFindings) {
			t.Errorf("%s %s: status %q with %d findings", r[iFW], r[iID], r[iStatus], n)
		}
	}

	// coverage.csv: every stream has every day of October.
	cov := readCSV(t, filepath.Join(res.Dir, "csv/coverage.csv"))
	if want := len(m.Coverage.Streams) * 31; len(cov)-1 != want {
		t.Errorf("coverage.csv has %d rows, want %d streams x 31 days = %d", len(cov)-1, len(m.Coverage.Streams), want)
	}
	iState := column(t, cov, "state")
	states := map[string]int{}
	for _, r := range cov[1:] {
		states[r[iState]]++
	}
	if states["ok"] == 0 || states["no data"] == 0 {
		t.Errorf("coverage states %v: want days with data (1-3 Oct) and gaps (4-31 Oct)", states)
	}

	checkPDF(t, res, dbFindings)
}

// checkPDF asserts on the report through poppler's tools.
func checkPDF(t *testing.T, res *Result, findings int) {
	for _, tool := range []string{"pdftotext", "pdfinfo", "pdffonts", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (poppler-utils): PDF checks skipped", tool)
		}
	}
	pdf := filepath.Join(res.Dir, "report.pdf")
	text := runTool(t, "pdftotext", "-layout", pdf, "-")
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		"Audit evidence pack", "Example Corp", "1 October 2026 to 31 October 2026", "Contents",
		"1 Scope and coverage", "What this evidence does not cover", "2 Executive summary", "Findings by severity",
		"CloudTrail events per day", "3 Shared responsibility matrix", "Root account", "Network rules",
		"4 Controls: SOC 2", "5 Controls: CIS AWS Foundations Benchmark v3.0",
		"Appendix A Detections as they ran", "Appendix B Ingest manifest", "Appendix C Files of this pack",
		"A PDF cannot contain its own hash", res.Model.Ingest.SHA256,
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("report text lacks %q", want)
		}
	}
	if want := fmt.Sprintf("reported %d findings", findings); !strings.Contains(flat, want) {
		t.Errorf("report text lacks %q (the count in findings.csv)", want)
	}
	// Every CSV's hash is in appendix C, and every detection's SQL hash in
	// appendix A's headers.
	for _, f := range res.Model.Files {
		if !strings.Contains(text, f.SHA256) {
			t.Errorf("appendix C lacks the hash of %s", f.Path)
		}
	}
	for _, d := range res.Model.Detections {
		if !strings.Contains(text, d.SQLSHA256) {
			t.Errorf("appendix A lacks the SQL hash of %s", d.ID)
		}
	}

	info := runTool(t, "pdfinfo", pdf)
	mm := regexp.MustCompile(`Pages:\s+(\d+)`).FindStringSubmatch(info)
	if mm == nil {
		t.Fatalf("pdfinfo: no page count:\n%s", info)
	}
	if pages, _ := strconv.Atoi(mm[1]); pages < 8 || pages > 400 {
		t.Errorf("report has %d pages", pages)
	}
	if !strings.Contains(info, "2026") {
		t.Errorf("pdfinfo shows no creation date:\n%s", info)
	}

	fonts := strings.Split(strings.TrimSpace(runTool(t, "pdffonts", pdf)), "\n")
	if len(fonts) < 3 {
		t.Fatalf("pdffonts lists no font:\n%s", strings.Join(fonts, "\n"))
	}
	for _, l := range fonts[2:] {
		// name type... encoding emb sub uni object ID: "emb" is the 4th field from the end.
		f := strings.Fields(l)
		if len(f) < 5 || f[len(f)-5] != "yes" {
			t.Errorf("font not embedded: %s", l)
		}
	}

	out := t.TempDir()
	runTool(t, "pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "4", pdf, filepath.Join(out, "p"))
	pngs, _ := filepath.Glob(filepath.Join(out, "p-*.png"))
	if len(pngs) != 4 {
		t.Fatalf("pdftoppm wrote %d pages, want 4", len(pngs))
	}
	for _, p := range pngs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		dark := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
					dark++
				}
			}
		}
		if frac := float64(dark) / float64(b.Dx()*b.Dy()); frac < 0.005 {
			t.Errorf("%s looks blank: %.4f of its pixels are dark", filepath.Base(p), frac)
		}
	}
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func TestDeterminism(t *testing.T) {
	out := t.TempDir()
	cfg := Config{Frameworks: []string{"iso27001"}, Org: "Example Corp", OutDir: out}
	cfg.Now = fixedNow(genTime)
	a := buildPack(t, cfg)
	cfg.Now = fixedNow(genTime.Add(26*time.Hour + 17*time.Second))
	b := buildPack(t, cfg)
	if a.Dir == b.Dir {
		t.Fatal("two packs share a folder")
	}
	fa, fb := a.Manifest.Files, b.Manifest.Files
	if len(fa) != len(fb) {
		t.Fatalf("%d files vs %d", len(fa), len(fb))
	}
	for i := range fa {
		if fa[i].Path != fb[i].Path {
			t.Fatalf("file %d: %s vs %s", i, fa[i].Path, fb[i].Path)
		}
		if strings.HasSuffix(fa[i].Path, ".csv") {
			x, _ := os.ReadFile(filepath.Join(a.Dir, fa[i].Path))
			y, _ := os.ReadFile(filepath.Join(b.Dir, fb[i].Path))
			if !bytes.Equal(x, y) {
				t.Errorf("%s differs between the two packs", fa[i].Path)
			}
		} else if fa[i].Path != "report.pdf" {
			t.Errorf("unexpected file %s", fa[i].Path)
		}
	}
	// The manifests differ only in the generation time, the report's hash
	// and size, and their own digest.
	norm := func(m *Manifest) string {
		c := *m
		c.GeneratedAt, c.ManifestSHA256 = "", ""
		c.Files = slices.Clone(m.Files)
		for i := range c.Files {
			if c.Files[i].Path == "report.pdf" {
				c.Files[i].SHA256, c.Files[i].Size = "", 0
			}
		}
		j, _ := json.Marshal(c)
		return string(j)
	}
	if x, y := norm(a.Manifest), norm(b.Manifest); x != y {
		t.Errorf("manifests differ beyond the generation time:\n%s\n%s", x, y)
	}
	// The report's text differs only on the cover's "Generated" line.
	if _, err := exec.LookPath("pdftotext"); err == nil {
		ta := strings.Split(runTool(t, "pdftotext", "-layout", filepath.Join(a.Dir, "report.pdf"), "-"), "\n")
		tb := strings.Split(runTool(t, "pdftotext", "-layout", filepath.Join(b.Dir, "report.pdf"), "-"), "\n")
		if len(ta) != len(tb) {
			t.Fatalf("report text: %d lines vs %d", len(ta), len(tb))
		}
		for i := range ta {
			if ta[i] != tb[i] && !strings.Contains(ta[i], "Generated") {
				t.Errorf("report text line %d differs:\n%s\n%s", i+1, ta[i], tb[i])
			}
		}
	}
}

func TestAccountFilter(t *testing.T) {
	all := buildPack(t, Config{})
	counts := map[string]int{}
	for _, f := range all.Model.Findings {
		counts[f.AccountID]++
	}
	var acct string
	for a, n := range counts {
		if n > 0 && n < len(all.Model.Findings) && (acct == "" || a < acct) {
			acct = a
		}
	}
	if acct == "" {
		t.Fatalf("findings are not spread over accounts: %v", counts)
	}
	one := buildPack(t, Config{Accounts: []string{acct}})
	if got := len(one.Model.Findings); got != counts[acct] {
		t.Errorf("--accounts %s: %d findings, want %d", acct, got, counts[acct])
	}
	for _, s := range one.Model.Coverage.Streams {
		if s.Account != acct && s.Account != "" {
			t.Errorf("stream of account %s in a pack for %s", s.Account, acct)
		}
	}
	for _, d := range one.Model.Detections {
		if d.Status == "fail" && d.FindingCount == 0 {
			t.Errorf("%s: status fail without findings in scope", d.ID)
		}
	}
}

func TestNoRun(t *testing.T) {
	db := openRO(t, sharedDB(t))
	_, err := Build(context.Background(), db, Config{Period: mustPeriod("2026-Q2"), OutDir: t.TempDir()})
	if !errors.Is(err, ErrNoRun) {
		t.Fatalf("err = %v, want ErrNoRun", err)
	}
}

func TestConfigValidate(t *testing.T) {
	p := mustPeriod("2026-10")
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Period: p}, "no output directory"},
		{Config{Period: p, OutDir: "x", Frameworks: []string{"pci"}}, `framework "pci"`},
		{Config{Period: p, OutDir: "x", Accounts: []string{"12345"}}, `account "12345"`},
		{Config{OutDir: "x"}, "end is not after start"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	c := Config{Period: p, OutDir: "x", Frameworks: []string{"cis", "soc2", "soc2"}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Frameworks, []string{"soc2", "cis_aws_v3"}) {
		t.Errorf("frameworks %v, want catalogue order without duplicates", c.Frameworks)
	}
}

func TestParsePeriod(t *testing.T) {
	d := func(y, m, dd int) time.Time { return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		in         string
		start, end time.Time
		prev       string
	}{
		{"2026-10", d(2026, 10, 1), d(2026, 11, 1), "2026-09"},
		{"2026-01", d(2026, 1, 1), d(2026, 2, 1), "2025-12"},
		{"2026-Q3", d(2026, 7, 1), d(2026, 10, 1), "2026-Q2"},
		{"2026-q1", d(2026, 1, 1), d(2026, 4, 1), "2025-Q4"},
	} {
		p, err := ParsePeriod(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if !p.Start.Equal(tc.start) || !p.End.Equal(tc.end) {
			t.Errorf("%s: [%s, %s)", tc.in, p.Start, p.End)
		}
		if got := Previous(p).Label; got != tc.prev {
			t.Errorf("%s: previous %s, want %s", tc.in, got, tc.prev)
		}
	}
	for _, bad := range []string{"2026-13", "2026-Q5", "Oct 2026", "2026-10-01", ""} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", bad)
		}
	}
	p, err := PeriodRange("2026-10-01", "2026-10-15")
	if err != nil || !p.End.Equal(d(2026, 10, 16)) || p.Days() != 15 {
		t.Errorf("PeriodRange: %+v %v", p, err)
	}
	if prev := Previous(p); !prev.Start.Equal(d(2026, 9, 16)) || !prev.End.Equal(d(2026, 10, 1)) {
		t.Errorf("previous range: %+v", prev)
	}
	if _, err := PeriodRange("2026-10-15", "2026-10-01"); err == nil {
		t.Error("a range ending before it starts was accepted")
	}
}

func TestVerify(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	res := buildPack(t, Config{SignKey: priv})
	dir := res.Dir
	v, err := Verify(dir, pub)
	if err != nil {
		t.Fatalf("fresh pack: %v", err)
	}
	if !v.Signed || v.Files != len(res.Manifest.Files) {
		t.Fatalf("fresh pack: signed %v, %d files checked", v.Signed, v.Files)
	}
	if _, err := Verify(dir, nil); err != nil {
		t.Fatalf("fresh pack, no --pubkey: %v", err)
	}

	expect := func(what, file string, pub ed25519.PublicKey) {
		t.Helper()
		v, err := Verify(dir, pub)
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("%s: Verify = %v, want ErrTampered", what, err)
		}
		for _, p := range v.Problems {
			if p.File == file {
				return
			}
		}
		t.Errorf("%s: problems %v do not name %s", what, v.Problems, file)
	}

	// Flip one byte of every file in turn, at the start, middle and end.
	all := []string{ManifestFile, SignatureFile}
	for _, f := range res.Manifest.Files {
		all = append(all, f.Path)
	}
	for _, rel := range all {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []int{0, len(orig) / 2, len(orig) - 1} {
			mod := bytes.Clone(orig)
			mod[at] ^= 0x01
			if err := os.WriteFile(p, mod, 0o644); err != nil {
				t.Fatal(err)
			}
			expect(fmt.Sprintf("byte %d of %s flipped", at, rel), rel, pub)
			if rel != ManifestFile && rel != SignatureFile {
				expect(fmt.Sprintf("byte %d of %s flipped, no pubkey", at, rel), rel, nil)
			}
		}
		if err := os.WriteFile(p, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Verify(dir, pub); err != nil {
		t.Fatalf("restored pack: %v", err)
	}

	// An extra file, anywhere.
	for _, rel := range []string{"notes.txt", "csv/extra.csv", "csv/soc2/x.csv"} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		expect("extra "+rel, rel, pub)
		os.Remove(p)
	}
	// A missing file.
	p := filepath.Join(dir, "csv", "findings.csv")
	orig, _ := os.ReadFile(p)
	os.Remove(p)
	expect("missing csv/findings.csv", "csv/findings.csv", pub)
	os.WriteFile(p, orig, 0o644)
	// Another key.
	other, _, _ := ed25519.GenerateKey(nil)
	expect("other public key", SignatureFile, other)
	// A missing signature.
	sigPath := filepath.Join(dir, SignatureFile)
	sig, _ := os.ReadFile(sigPath)
	os.Remove(sigPath)
	expect("missing signature", SignatureFile, pub)
	expect("missing signature, no pubkey", SignatureFile, nil)
	// A valid signature by another key over a re-written manifest.
	_, priv2, _ := ed25519.GenerateKey(nil)
	man, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	os.WriteFile(sigPath, []byte(encodeSig(ed25519.Sign(priv2, man))), 0o644)
	expect("signature by another key", SignatureFile, pub)
	os.WriteFile(sigPath, sig, 0o644)
	if _, err := Verify(dir, pub); err != nil {
		t.Fatalf("restored pack: %v", err)
	}
}

func TestVerifyUnsigned(t *testing.T) {
	res := buildPack(t, Config{})
	v, err := Verify(res.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Signed || len(v.Notes) == 0 {
		t.Errorf("unsigned pack: signed %v, notes %v", v.Signed, v.Notes)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	if _, err := Verify(res.Dir, pub); !errors.Is(err, ErrTampered) {
		t.Errorf("unsigned pack with --pubkey: %v, want ErrTampered", err)
	}
}

func TestKeys(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	dir := t.TempDir()
	pemPriv, _ := MarshalPrivateKey(priv)
	pemPub, _ := MarshalPublicKey(pub)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o600)
		return p
	}
	for name, data := range map[string][]byte{
		"priv.pem": pemPriv, "seed.bin": priv.Seed(), "key.bin": priv,
		"seed.hex": []byte(fmt.Sprintf("%x\n", priv.Seed())),
	} {
		k, err := LoadPrivateKey(write(name, data))
		if err != nil || !k.Equal(priv) {
			t.Errorf("LoadPrivateKey(%s): %v", name, err)
		}
	}
	for name, data := range map[string][]byte{"pub.pem": pemPub, "pub.bin": pub, "pub.hex": []byte(fmt.Sprintf("%x", []byte(pub)))} {
		k, err := LoadPublicKey(write(name, data))
		if err != nil || !k.Equal(pub) {
			t.Errorf("LoadPublicKey(%s): %v", name, err)
		}
	}
	if _, err := LoadPrivateKey(write("junk", []byte("not a key"))); err == nil {
		t.Error("junk accepted as a private key")
	}
	if _, err := LoadPublicKey(write("pub-as-priv.pem", pemPriv)); err == nil {
		t.Error("a private key PEM accepted as a public key")
	}
}

func TestZip(t *testing.T) {
	out := t.TempDir()
	a := buildPack(t, Config{OutDir: out, Zip: true})
	if fi, err := os.Stat(a.Zip); err != nil || fi.Size() == 0 {
		t.Fatalf("zip: %v", err)
	}
}
