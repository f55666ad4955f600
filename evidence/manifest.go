package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/reports"
)

// Names of the pack's own files.
const (
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.sig"
)

// Manifest is manifest.json: what the pack holds and where it comes from.
type Manifest struct {
	Format       string            `json:"format"`
	ToolVersion  string            `json:"tool_version"`
	GeneratedAt  string            `json:"generated_at"`
	Organisation string            `json:"organisation"`
	Period       ManifestPeriod    `json:"period"`
	Frameworks   []string          `json:"frameworks"`
	Accounts     []string          `json:"accounts"` // the filter; empty: every account
	RunIDs       []string          `json:"run_ids"`  // the detection run, then the previous period's (trend) if any
	Packs        []reports.PackRef `json:"detection_packs"`
	Database     struct {
		File          string `json:"file"`
		DuckDBVersion string `json:"duckdb_version"`
	} `json:"database"`
	IngestManifest struct {
		Objects int64  `json:"objects"`
		SHA256  string `json:"sha256"`
		Method  string `json:"method"`
	} `json:"ingest_manifest"`
	Files []reports.File `json:"files"`
	// SignerPublicKey is the Ed25519 public key (base64) that signed
	// manifest.sig, when the pack is signed.
	SignerPublicKey string `json:"signer_public_key,omitempty"`
	// ManifestSHA256 is the SHA-256 of this file with this value replaced
	// by 64 zeros: it catches any change to the manifest itself (a signature
	// also proves who wrote it).
	ManifestSHA256 string `json:"manifest_sha256"`
}

// ManifestPeriod is the period in the manifest.
type ManifestPeriod struct {
	Label string `json:"label"`
	Start string `json:"start"`
	End   string `json:"end"` // excluded
}

const ingestDigestMethod = "sha256 over ingest_objects rows with key date in the period: bucket,key,etag,sha256,status as CSV records (RFC 4180, LF), sorted by those fields"

var zeros = strings.Repeat("0", 64)

func newManifest(m *reports.Model, cfg *Config, files []reports.File) *Manifest {
	man := &Manifest{
		Format:       PackFormat,
		ToolVersion:  m.ToolVersion,
		GeneratedAt:  reports.ISOTime(m.GeneratedAt),
		Organisation: m.Org,
		Period:       ManifestPeriod{m.Period.Label, reports.ISOTime(m.Period.Start), reports.ISOTime(m.Period.End)},
		Frameworks:   m.Frameworks,
		Accounts:     m.Accounts,
		RunIDs:       []string{m.Run.ID},
		Packs:        m.Run.Packs,
		Files:        files,
	}
	if man.Accounts == nil {
		man.Accounts = []string{}
	}
	if m.Previous != nil {
		man.RunIDs = append(man.RunIDs, m.Previous.RunID)
	}
	man.Database.File = m.Database.File
	man.Database.DuckDBVersion = m.Database.DuckDBVersion
	man.IngestManifest.Objects = m.Ingest.Objects
	man.IngestManifest.SHA256 = m.Ingest.SHA256
	man.IngestManifest.Method = ingestDigestMethod
	if cfg.SignKey != nil {
		man.SignerPublicKey = base64.StdEncoding.EncodeToString([]byte(cfg.SignKey.Public().(ed25519.PublicKey)))
	}
	return man
}

// encode writes the manifest as indented JSON and fills in its own digest.
func (man *Manifest) encode() ([]byte, error) {
	man.ManifestSHA256 = zeros
	data, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	data = append(data, '\n')
	sum := sha256.Sum256(data)
	man.ManifestSHA256 = hex.EncodeToString(sum[:])
	i := selfDigestAt(data)
	if i < 0 {
		return nil, errors.New("evidence: manifest digest field not found")
	}
	copy(data[i:], man.ManifestSHA256)
	return data, nil
}

var digestKey = []byte(`"manifest_sha256": "`)

// selfDigestAt returns the offset of the manifest's own digest value, or -1.
func selfDigestAt(data []byte) int {
	i := bytes.LastIndex(data, digestKey)
	if i < 0 || i+len(digestKey)+64 > len(data) {
		return -1
	}
	return i + len(digestKey)
}

// checkSelfDigest reports whether data matches the digest it holds.
func checkSelfDigest(data []byte) error {
	i := selfDigestAt(data)
	if i < 0 {
		return errors.New("no manifest_sha256 field")
	}
	claimed := string(data[i : i+64])
	cp := bytes.Clone(data)
	copy(cp[i:], zeros)
	sum := sha256.Sum256(cp)
	if got := hex.EncodeToString(sum[:]); got != claimed {
		return fmt.Errorf("content does not match its manifest_sha256 (changed after it was written)")
	}
	return nil
}
