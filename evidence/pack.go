package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/reports"
	"github.com/auditlake/auditlake/reports/pdf"
)

// PackFormat is the version of the pack layout and manifest.
const PackFormat = "auditlake-evidence-pack/1"

// Frameworks are the framework names a pack can be built for, in the
// order a pack shows them.
var Frameworks = []string{"soc2", "iso27001", "cis_aws_v3"}

// Config says which pack to build.
type Config struct {
	Period     reports.Period
	Frameworks []string // default: soc2; shown in the order of Frameworks
	Accounts   []string // only these accounts; empty: every account
	Org        string   // organisation name for the cover
	OutDir     string   // the pack folder is created inside it
	Zip        bool     // also write <pack>.zip next to the folder
	SignKey    ed25519.PrivateKey
	// RunID selects the detection run; empty: the latest run whose window
	// is exactly the period.
	RunID       string
	ToolVersion string
	Now         func() time.Time // clock; nil: time.Now
}

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	var errs []error
	if !c.Period.End.After(c.Period.Start) {
		errs = append(errs, errors.New("period: end is not after start"))
	}
	if c.OutDir == "" {
		errs = append(errs, errors.New("out: no output directory"))
	}
	if len(c.Frameworks) == 0 {
		c.Frameworks = []string{"soc2"}
	}
	var fws []string
	for _, fw := range c.Frameworks {
		if fw == "cis" {
			fw = "cis_aws_v3"
		}
		if !slices.Contains(Frameworks, fw) {
			errs = append(errs, fmt.Errorf("framework %q: use soc2, iso27001 or cis", fw))
		}
		fws = append(fws, fw)
	}
	// Catalogue order, no duplicates: the same flags in another order give
	// the same pack.
	c.Frameworks = nil
	for _, fw := range Frameworks {
		if slices.Contains(fws, fw) {
			c.Frameworks = append(c.Frameworks, fw)
		}
	}
	for _, a := range c.Accounts {
		if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
			errs = append(errs, fmt.Errorf("account %q: want a 12-digit account id", a))
		}
	}
	c.Accounts = slices.Compact(slices.Sorted(slices.Values(c.Accounts)))
	if c.SignKey != nil && len(c.SignKey) != ed25519.PrivateKeySize {
		errs = append(errs, errors.New("sign key: not an Ed25519 private key"))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ToolVersion == "" {
		c.ToolVersion = "dev"
	}
	return errors.Join(errs...)
}

// Result describes a written pack.
type Result struct {
	Dir      string // the pack folder
	Zip      string // the zip file, when Config.Zip
	Manifest *Manifest
	Model    *reports.Model
	Timings  map[string]time.Duration // load, csv, pdf, write
}

// Build reads the database (db may and should be read-only) and writes the
// evidence pack into a new folder of cfg.OutDir. The folder appears under
// its final name only once complete; on error nothing is left behind.
func Build(ctx context.Context, db *duck.DB, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	res := &Result{Timings: map[string]time.Duration{}}
	t0 := time.Now()
	m, err := load(ctx, db, &cfg)
	if err != nil {
		return nil, err
	}
	res.Model = m
	res.Timings["load"] = time.Since(t0)
	m.GeneratedAt = cfg.Now().UTC().Truncate(time.Second)

	name := PackName(cfg.Period, cfg.Frameworks, m.GeneratedAt)
	final := filepath.Join(cfg.OutDir, name)
	if _, err := os.Stat(final); err == nil {
		return nil, fmt.Errorf("evidence: %s already exists", final)
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	tmp, err := os.MkdirTemp(cfg.OutDir, "."+name+".partial-")
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("evidence: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()

	t0 = time.Now()
	csvs, err := m.CSVs()
	if err != nil {
		return nil, fmt.Errorf("evidence: csv: %w", err)
	}
	var files []reports.File
	for _, c := range csvs {
		if err := writeFile(tmp, c.Path, c.Data); err != nil {
			return nil, err
		}
		files = append(files, fileOf(c.Path, c.Data))
	}
	res.Timings["csv"] = time.Since(t0)

	t0 = time.Now()
	m.Files = files
	var doc bytes.Buffer
	if err := pdf.Render(m, &doc); err != nil {
		return nil, fmt.Errorf("evidence: report.pdf: %w", err)
	}
	if err := writeFile(tmp, "report.pdf", doc.Bytes()); err != nil {
		return nil, err
	}
	files = append(files, fileOf("report.pdf", doc.Bytes()))
	slices.SortFunc(files, func(a, b reports.File) int { return strings.Compare(a.Path, b.Path) })
	res.Timings["pdf"] = time.Since(t0)

	man := newManifest(m, &cfg, files)
	data, err := man.encode()
	if err != nil {
		return nil, err
	}
	if err := writeFile(tmp, ManifestFile, data); err != nil {
		return nil, err
	}
	if cfg.SignKey != nil {
		sig := ed25519.Sign(cfg.SignKey, data)
		if err := writeFile(tmp, SignatureFile, []byte(encodeSig(sig))); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	ok = true
	res.Dir, res.Manifest = final, man
	if cfg.Zip {
		res.Zip = final + ".zip"
		if err := zipDir(final, res.Zip, m.GeneratedAt); err != nil {
			return res, err
		}
	}
	return res, nil
}

// PackName is the folder name of a pack: period, frameworks and generation
// time, e.g. 2026-10_soc2_20261123T083548Z.
func PackName(p reports.Period, frameworks []string, at time.Time) string {
	return p.Label + "_" + strings.Join(frameworks, "+") + "_" + at.UTC().Format("20060102T150405Z")
}

func writeFile(dir, rel string, data []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}

func fileOf(path string, data []byte) reports.File {
	sum := sha256.Sum256(data)
	return reports.File{Path: path, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// zipDir writes the pack folder as a zip with its files in path order and
// the generation time as every entry's time, so that the zip too depends
// only on the pack.
func zipDir(dir, out string, at time.Time) (err error) {
	var paths []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		paths = append(paths, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return err
	}
	slices.Sort(paths)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(out)
		}
	}()
	zw := zip.NewWriter(f)
	base := filepath.Base(dir)
	for _, p := range paths {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: base + "/" + p, Method: zip.Deflate, Modified: at})
		if err != nil {
			return err
		}
		src, err := os.Open(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return err
		}
		_, err = io.Copy(w, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	return zw.Close()
}
