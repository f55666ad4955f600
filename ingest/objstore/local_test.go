package objstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// localFixture is a directory with keys chosen to catch ordering mistakes:
// "a-b" and "a.json" sort before "a/..." because '-' and '.' sort before
// '/', which a plain directory walk gets wrong.
var localFixture = []string{
	"AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/01/x.json.gz",
	"AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/02/y.json.gz",
	"AWSLogs/123456789012/Config/eu-west-1/z.json.gz",
	"AWSLogs/123499999999/CloudTrail/eu-west-1/w.json.gz",
	"AWSLogs/o-abc/123456789012/CloudTrail/us-east-1/v.json.gz",
	"a-b",
	"a.json",
	"a/b",
	"a/c/d",
	"dir with space/名前 ü.json",
	"z",
}

func writeTree(t *testing.T, keys []string) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range keys {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+k), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func collect(t *testing.T, st Store, prefix, delim string) []string {
	t.Helper()
	var got []string
	for e, err := range st.List(context.Background(), prefix, delim) {
		if err != nil {
			t.Fatalf("List(%q, %q): %v", prefix, delim, err)
		}
		if !e.IsPrefix && (e.Size == 0 || e.ETag == "" || e.LastModified.IsZero()) {
			t.Errorf("List: incomplete info %+v", e)
		}
		got = append(got, e.Key)
	}
	return got
}

func TestLocalList(t *testing.T) {
	dir := writeTree(t, localFixture)
	// An empty directory is no common prefix; non-regular files are skipped.
	os.MkdirAll(filepath.Join(dir, "empty", "deeper"), 0o755)
	os.Mkdir(filepath.Join(dir, "AWSLogs", "123456789012", "nothing"), 0o755)
	st, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(localFixture)
	slices.Sort(sorted)

	tests := []struct {
		prefix, delim string
		want          []string
	}{
		{"", "", sorted},
		{"", "/", []string{"AWSLogs/", "a-b", "a.json", "a/", "dir with space/", "z"}},
		{"AWSLogs/1234", "/", []string{"AWSLogs/123456789012/", "AWSLogs/123499999999/"}},
		{"AWSLogs/1234", "", sorted[:4]},
		{"AWSLogs/123456789012/", "/", []string{"AWSLogs/123456789012/CloudTrail/", "AWSLogs/123456789012/Config/"}},
		{"AWSLogs/123456789012/C", "/", []string{"AWSLogs/123456789012/CloudTrail/", "AWSLogs/123456789012/Config/"}},
		{"AWSLogs/123456789012/Co", "", []string{"AWSLogs/123456789012/Config/eu-west-1/z.json.gz"}},
		{"a", "/", []string{"a-b", "a.json", "a/"}},
		{"a/", "/", []string{"a/b", "a/c/"}},
		{"a/b", "", []string{"a/b"}},
		{"a/b/", "", nil}, // a/b is a file
		{"dir with space/名", "", []string{"dir with space/名前 ü.json"}},
		{"nope/", "", nil},
		{"empty/", "/", nil},
	}
	for _, tt := range tests {
		got := collect(t, st, tt.prefix, tt.delim)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("List(%q, %q) (-want +got):\n%s", tt.prefix, tt.delim, diff)
		}
	}
}

func TestLocalListStopsAndCancels(t *testing.T) {
	st, _ := NewLocal(writeTree(t, localFixture))
	n := 0
	for range st.List(context.Background(), "", "") {
		n++
		if n == 2 {
			break
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var err error
	for _, err = range st.List(ctx, "", "") {
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("List on a cancelled context: %v", err)
	}
	for _, err = range st.List(context.Background(), "", ",") {
	}
	if err == nil {
		t.Error("List with delimiter \",\": no error")
	}
	for _, err = range st.List(context.Background(), "../", "") {
	}
	if err == nil {
		t.Error("List of ../: no error")
	}
}

func TestLocalSymlinks(t *testing.T) {
	outside := writeTree(t, []string{"secret"})
	dir := writeTree(t, []string{"d/real"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("real", filepath.Join(dir, "d", "link")))                           // inside: followed
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "d", "abs")))  // outside: skipped
	must(os.Symlink("../../"+filepath.Base(outside), filepath.Join(dir, "d", "updir"))) // outside: skipped
	must(os.Symlink("d", filepath.Join(dir, "dirlink")))                                // directory: skipped
	must(os.Symlink("missing", filepath.Join(dir, "d", "dangling")))                    // skipped

	st, _ := NewLocal(dir)
	if diff := cmp.Diff([]string{"d/link", "d/real"}, collect(t, st, "", "")); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if _, err := st.Stat(context.Background(), "d/abs"); err == nil {
		t.Error("Stat of a link leaving the directory: no error")
	}
	info, err := st.Stat(context.Background(), "d/link")
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Open(context.Background(), info)
	must(err)
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(b) != "content of d/real" {
		t.Errorf("read through link: %q, %v", b, err)
	}
}

func TestLocalOpenVerifiesSize(t *testing.T) {
	dir := writeTree(t, []string{"k"})
	st, _ := NewLocal(dir)
	ctx := context.Background()
	info, err := st.Stat(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "k")

	// Grown after listing: refused at Open.
	os.WriteFile(path, []byte("content of k, and more"), 0o644)
	var ie *IntegrityError
	if _, err := st.Open(ctx, info); !errors.As(err, &ie) || ie.What != "size" {
		t.Fatalf("Open after growth: %v, want IntegrityError size", err)
	}

	// Same size, rewritten: ErrChanged.
	info, _ = st.Stat(ctx, "k")
	os.WriteFile(path, bytes.Repeat([]byte("x"), int(info.Size)), 0o644)
	os.Chtimes(path, time.Now(), info.LastModified.Add(time.Second))
	if _, err := st.Open(ctx, info); !errors.Is(err, ErrChanged) {
		t.Fatalf("Open after rewrite: %v, want ErrChanged", err)
	}

	// Truncated while being read: the reader fails at EOF.
	info, _ = st.Stat(ctx, "k")
	r, err := st.Open(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	os.Truncate(path, 3)
	_, err = io.ReadAll(r)
	if !errors.As(err, &ie) || ie.What != "size" || ie.Got != "3" {
		t.Fatalf("read of a file truncated while open: %v, want IntegrityError size got 3", err)
	}

	// Grown while being read.
	os.WriteFile(path, []byte("0123456789"), 0o644)
	info, _ = st.Stat(ctx, "k")
	r2, _ := st.Open(ctx, info)
	defer r2.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("more"))
	f.Close()
	if _, err = io.ReadAll(r2); !errors.As(err, &ie) || ie.What != "size" {
		t.Fatalf("read of a file grown while open: %v, want IntegrityError size", err)
	}

	if _, err := st.Open(ctx, ObjectInfo{Key: "missing"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open missing: %v, want ErrNotFound", err)
	}
	if _, err := st.Stat(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat missing: %v, want ErrNotFound", err)
	}
}

func TestLocalPut(t *testing.T) {
	dir := t.TempDir()
	st, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	keys := []string{"new/deep/dir/k.json", "sp ace/ünï 名.txt", "top"}
	for _, k := range keys {
		body := "body of " + k
		if err := st.Put(ctx, k, strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatalf("Put %q: %v", k, err)
		}
		info, err := st.Stat(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.Open(ctx, info)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(b) != body {
			t.Errorf("read back %q: %q, %v", k, b, err)
		}
	}
	if diff := cmp.Diff([]string{"new/deep/dir/k.json", "sp ace/ünï 名.txt", "top"}, collect(t, st, "", "")); diff != "" {
		t.Errorf("List after Put (-want +got):\n%s", diff)
	}

	// Overwrite is atomic and leaves no temporary file behind.
	if err := st.Put(ctx, "top", strings.NewReader("v2"), 2); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "top")); string(b) != "v2" {
		t.Errorf("after overwrite: %q", b)
	}
	// A wrong size leaves the old file.
	if err := st.Put(ctx, "top", strings.NewReader("v3"), 5); err == nil {
		t.Error("Put with wrong size: no error")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "top")); string(b) != "v2" {
		t.Errorf("after failed put: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}

	for _, bad := range []string{"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "..", "a/"} {
		if err := st.Put(ctx, bad, strings.NewReader("x"), 1); err == nil {
			t.Errorf("Put(%q): no error", bad)
		}
		if _, err := st.Stat(ctx, bad); err == nil {
			t.Errorf("Stat(%q): no error", bad)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "x")); err == nil {
		t.Error("a key escaped the directory")
	}
}

func TestLocalETag(t *testing.T) {
	dir := writeTree(t, []string{"k"})
	st, _ := NewLocal(dir)
	a, _ := st.Stat(context.Background(), "k")
	if isPlainMD5(a.ETag) {
		t.Errorf("local ETag %q looks like an MD5", a.ETag)
	}
	os.Chtimes(filepath.Join(dir, "k"), time.Now(), a.LastModified.Add(time.Minute))
	b, _ := st.Stat(context.Background(), "k")
	if a.ETag == b.ETag {
		t.Error("ETag unchanged after mtime change")
	}
}

func TestNewLocalErrors(t *testing.T) {
	if _, err := NewLocal(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("NewLocal of a missing directory: no error")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := NewLocal(f); err == nil {
		t.Error("NewLocal of a file: no error")
	}
}

func TestOpenURI(t *testing.T) {
	dir := t.TempDir()
	st, prefix, err := Open(context.Background(), "file://"+dir, S3Config{})
	if err != nil || prefix != "" || st.Bucket() != dir || st.URI() != "file://"+dir {
		t.Errorf("Open(file://): %v %q %v", st, prefix, err)
	}
	if _, _, err := Open(context.Background(), "s3:///x", S3Config{}); err == nil {
		t.Error("Open(s3:///x): no error")
	}
}
