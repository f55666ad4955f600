// Package objstore puts an S3 bucket (any S3-compatible endpoint) and a local
// directory laid out like a bucket behind one small interface. It is the only
// code in auditlake that talks to S3.
//
// A Store lists keys (flat, or one level at a time with a delimiter so that a
// caller can prune a key hierarchy by prefix) and opens objects for streaming
// reads. Open verifies what it read: the body must have the listed size and,
// where the ETag is a plain MD5, the listed ETag; a short or corrupted body is
// an error, never a silently truncated object.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
)

// ObjectInfo describes one object as a listing returns it.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string // without quotes; for a local file, a digest of size and mtime
	LastModified time.Time
}

// Entry is one listing result: an object, or (with a delimiter) a common
// prefix ending in the delimiter.
type Entry struct {
	ObjectInfo
	IsPrefix bool // Key is a common prefix such as "AWSLogs/123456789012/"
}

// Store is a bucket or a directory.
type Store interface {
	// URI names the store for messages and the manifest: "s3://bucket" or
	// "file:///abs/dir".
	URI() string
	// Bucket is the bucket name, or the absolute directory for a local store.
	Bucket() string
	// List yields the entries under prefix in lexical key order. With
	// delimiter "" it lists every key below prefix; with "/" it lists one
	// level: objects directly under prefix and the common prefixes below it.
	// Iteration stops at the first error, which is yielded once.
	List(ctx context.Context, prefix, delimiter string) iter.Seq2[Entry, error]
	// Open returns the object's body for streaming. info must come from a
	// listing (or Stat); the reader fails with an *IntegrityError if the body
	// does not match it, and resumes transparently after a dropped connection
	// where the store can (S3: a ranged GET pinned to the ETag). The caller
	// closes the reader.
	Open(ctx context.Context, info ObjectInfo) (io.ReadCloser, error)
	// Stat returns the current listing information for one key.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// Put writes an object (used by the generator, tests and `collect`).
	Put(ctx context.Context, key string, body io.Reader, size int64) error
}

// ErrNotFound is returned (wrapped) by Stat and Open for a missing key.
var ErrNotFound = errors.New("object not found")

// ErrAccessDenied is returned (wrapped) when the credentials may not read a
// key or list a prefix.
var ErrAccessDenied = errors.New("access denied")

// ErrChanged is returned (wrapped) by Open, or by a read, when the object
// was replaced after it was listed: its ETag is no longer the listed one. A
// caller that wants the new version lists or Stats it again.
var ErrChanged = errors.New("object changed since it was listed")

// IntegrityError reports a body that does not match its listing: fewer or
// more bytes than the listed size, or an MD5 that differs from the ETag.
type IntegrityError struct {
	Key  string
	What string // "size" or "etag"
	Want string
	Got  string
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("%s: body %s mismatch: listed %s, read %s", e.Key, e.What, e.Want, e.Got)
}

// ParseURI splits a user-supplied location into a store kind and a prefix:
// "s3://bucket/some/prefix/" gives ("s3", "bucket", "some/prefix/"); any
// other string is a local directory ("file", dir, "").
func ParseURI(uri string) (kind, bucket, prefix string, err error) {
	if rest, ok := strings.CutPrefix(uri, "s3://"); ok {
		bucket, prefix, _ = strings.Cut(rest, "/")
		if bucket == "" {
			return "", "", "", fmt.Errorf("%q: no bucket name after s3://", uri)
		}
		return "s3", bucket, prefix, nil
	}
	if rest, ok := strings.CutPrefix(uri, "file://"); ok {
		uri = rest
	}
	if uri == "" {
		return "", "", "", errors.New("empty location: give s3://bucket/prefix or a directory")
	}
	return "file", uri, "", nil
}
