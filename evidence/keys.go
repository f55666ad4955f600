package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
)

// LoadPrivateKey reads an Ed25519 private key: PEM ("PRIVATE KEY", PKCS #8,
// as `openssl genpkey -algorithm ed25519` writes it) or raw: the 32-byte
// seed or the 64-byte key, as bytes, hex or base64.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sign key: %w", err)
	}
	if blk, _ := pem.Decode(data); blk != nil {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("sign key %s: %w", path, err)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("sign key %s: a %T, not an Ed25519 key", path, k)
		}
		return ek, nil
	}
	raw := decodeRaw(data, ed25519.SeedSize, ed25519.PrivateKeySize)
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw), nil
	}
	return nil, fmt.Errorf("sign key %s: not a PEM Ed25519 private key nor a raw 32- or 64-byte key", path)
}

// LoadPublicKey reads an Ed25519 public key: PEM ("PUBLIC KEY", PKIX) or
// raw 32 bytes, hex or base64.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	if blk, _ := pem.Decode(data); blk != nil {
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key %s: %w", path, err)
		}
		ek, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key %s: a %T, not an Ed25519 key", path, k)
		}
		return ek, nil
	}
	if raw := decodeRaw(data, ed25519.PublicKeySize); len(raw) == ed25519.PublicKeySize {
		return ed25519.PublicKey(raw), nil
	}
	return nil, fmt.Errorf("public key %s: not a PEM Ed25519 public key nor a raw 32-byte key", path)
}

// decodeRaw returns data as raw bytes of one of the sizes: as it is, or
// decoded from hex or base64 text.
func decodeRaw(data []byte, sizes ...int) []byte {
	for _, n := range sizes {
		if len(data) == n {
			return data
		}
	}
	s := strings.TrimSpace(string(data))
	if b, err := hex.DecodeString(s); err == nil {
		return b
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b
	}
	return bytes.TrimSpace(data)
}

// MarshalPublicKey encodes a public key as PEM (PKIX).
func MarshalPublicKey(k ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// MarshalPrivateKey encodes a private key as PEM (PKCS #8).
func MarshalPrivateKey(k ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// encodeSig is manifest.sig's content: the signature in base64 and a newline.
func encodeSig(sig []byte) string { return base64.StdEncoding.EncodeToString(sig) + "\n" }

func decodeSig(data []byte) ([]byte, error) {
	if !bytes.HasSuffix(data, []byte("\n")) {
		return nil, fmt.Errorf("not a base64 signature line")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(string(data[:len(data)-1]))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("not a base64 Ed25519 signature")
	}
	return sig, nil
}
