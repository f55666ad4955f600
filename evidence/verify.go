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
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Problem is one thing wrong with a pack, naming the file.
type Problem struct {
	File    string
	Problem string
}

func (p Problem) String() string { return p.File + ": " + p.Problem }

// Verification is the outcome of Verify.
type Verification struct {
	Manifest *Manifest
	Files    int      // files checked against the manifest
	Signed   bool     // manifest.sig is present and valid
	Notes    []string // facts worth showing that are not problems
	Problems []Problem
}

// ErrTampered is returned (wrapped) by Verify when the pack does not match
// its manifest or signature.
var ErrTampered = errors.New("evidence pack does not verify")

// Verify checks the pack in dir: manifest.json matches its own digest and,
// when signed, manifest.sig (against pub when given, else against the key
// the manifest names); every file it lists is present with its size and
// SHA-256; no other file is there. It returns every problem found; the
// error wraps ErrTampered when there is any.
func Verify(dir string, pub ed25519.PublicKey) (*Verification, error) {
	v := &Verification{}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory (unzip a zipped pack first)", dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		v.add(ManifestFile, "missing or unreadable: "+err.Error())
		return v, v.err()
	}
	if err := checkSelfDigest(data); err != nil {
		v.add(ManifestFile, err.Error())
	}
	var man Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		v.add(ManifestFile, "not a valid manifest: "+err.Error())
		return v, v.err()
	}
	if man.Format != PackFormat {
		v.add(ManifestFile, fmt.Sprintf("format %q, want %q", man.Format, PackFormat))
	}
	v.Manifest = &man
	v.checkSignature(dir, data, &man, pub)

	listed := map[string]bool{ManifestFile: true, SignatureFile: true}
	for _, f := range man.Files {
		if !fs.ValidPath(f.Path) || f.Path == ManifestFile || f.Path == SignatureFile || listed[f.Path] {
			v.add(ManifestFile, fmt.Sprintf("lists an invalid or repeated path %q", f.Path))
			continue
		}
		listed[f.Path] = true
		v.Files++
		size, sum, err := hashFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			v.add(f.Path, "missing")
		case err != nil:
			v.add(f.Path, err.Error())
		case size != f.Size:
			v.add(f.Path, fmt.Sprintf("changed: %d bytes, the manifest says %d", size, f.Size))
		case sum != f.SHA256:
			v.add(f.Path, "changed: SHA-256 "+sum+" does not match the manifest")
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			v.add(rel, "extra: not a regular file")
		case !listed[rel]:
			v.add(rel, "extra: not listed in the manifest")
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	slices.SortStableFunc(v.Problems, func(a, b Problem) int { return strings.Compare(a.File, b.File) })
	return v, v.err()
}

func (v *Verification) checkSignature(dir string, data []byte, man *Manifest, pub ed25519.PublicKey) {
	sigData, err := os.ReadFile(filepath.Join(dir, SignatureFile))
	if errors.Is(err, fs.ErrNotExist) {
		switch {
		case pub != nil:
			v.add(SignatureFile, "missing: a public key was given but the pack is not signed")
		case man.SignerPublicKey != "":
			v.add(SignatureFile, "missing: the manifest names a signer")
		default:
			v.Notes = append(v.Notes, "the pack is not signed: its integrity rests on manifest.json's own digest")
		}
		return
	}
	if err != nil {
		v.add(SignatureFile, err.Error())
		return
	}
	sig, err := decodeSig(sigData)
	if err != nil {
		v.add(SignatureFile, err.Error())
		return
	}
	var named ed25519.PublicKey
	if b, err := base64.StdEncoding.DecodeString(man.SignerPublicKey); err == nil && len(b) == ed25519.PublicKeySize {
		named = b
	}
	key := pub
	if key == nil {
		key = named
		if key == nil {
			v.add(SignatureFile, "the manifest names no signer key and no --pubkey was given")
			return
		}
	} else if named != nil && !named.Equal(pub) {
		v.add(ManifestFile, "signer_public_key is not the public key given")
	}
	if !ed25519.Verify(key, data, sig) {
		v.add(SignatureFile, "bad signature: manifest.json was not signed by this key, or either file changed")
		return
	}
	v.Signed = true
	if pub == nil {
		v.Notes = append(v.Notes, "signature checked against the key named in the manifest; pass --pubkey to check who signed")
	}
}

func (v *Verification) add(file, problem string) {
	v.Problems = append(v.Problems, Problem{File: path.Clean(file), Problem: problem})
}

func (v *Verification) err() error {
	if len(v.Problems) == 0 {
		return nil
	}
	msgs := make([]string, len(v.Problems))
	for i, p := range v.Problems {
		msgs[i] = p.String()
	}
	return fmt.Errorf("%w: %s", ErrTampered, strings.Join(msgs, "; "))
}

func hashFile(p string) (int64, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
