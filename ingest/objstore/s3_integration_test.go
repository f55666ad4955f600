package objstore_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/internal/s3test"
)

func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }

// specialKeys are keys whose names stress encoding: spaces, non-ASCII,
// and characters with a meaning in URLs.
var specialKeys = []string{
	"dir with space/名前 ü.json",
	"plus+sign/a+b=c&d.json",
	"percent%20literal/x%2Fy",
	"tilde~/semi;colon,comma@at",
}

// archiveTree writes a few hundred keys shaped like an AWS log archive.
func archiveTree(t *testing.T) (dir string, keys []string) {
	dir = t.TempDir()
	for _, acct := range []string{"111111111111", "111122223333", "222222222222"} {
		for _, region := range []string{"eu-west-1", "us-east-1"} {
			for day := 1; day <= 12; day++ {
				for i := range 4 {
					keys = append(keys, fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/2026/11/%02d/%s_CloudTrail_%s_2026110%dT00%02dZ_x.json.gz", acct, region, day, acct, region, day%10, i))
				}
			}
		}
		keys = append(keys, fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/us-east-1/d.json.gz", acct))
	}
	keys = append(keys, "a-b", "a.json", "a/b", "top.csv")
	keys = append(keys, specialKeys...)
	for i, k := range keys {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat(k, 1+i%3)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(keys)
	return dir, keys
}

type listed struct {
	Key    string
	Size   int64
	Prefix bool
}

func list(t *testing.T, st objstore.Store, prefix, delim string) []listed {
	t.Helper()
	var out []listed
	for e, err := range st.List(context.Background(), prefix, delim) {
		if err != nil {
			t.Fatalf("%s List(%q, %q): %v", st.URI(), prefix, delim, err)
		}
		out = append(out, listed{e.Key, e.Size, e.IsPrefix})
	}
	return out
}

// TestIntegrationS3List checks S3 listings against the local store over the
// same tree: both must give the same entries in the same order.
func TestIntegrationS3List(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	dir, keys := archiveTree(t)
	if n := srv.Upload(t, bucket, dir); n != len(keys) {
		t.Fatalf("uploaded %d objects, want %d", n, len(keys))
	}
	cfg := srv.Config(bucket)
	cfg.MaxKeys = 37 // many pages
	s3st, err := objstore.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	local, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}

	all := list(t, s3st, "", "")
	if len(all) != len(keys) {
		t.Fatalf("S3 listed %d keys, want %d", len(all), len(keys))
	}
	for i, e := range all {
		if e.Key != keys[i] {
			t.Fatalf("key %d: %q, want %q", i, e.Key, keys[i])
		}
	}
	for _, tt := range []struct{ prefix, delim string }{
		{"", ""},
		{"", "/"},
		{"AWSLogs/", "/"},
		{"AWSLogs/1111", "/"},
		{"AWSLogs/1111", ""},
		{"AWSLogs/111111111111/CloudTrail/", "/"},
		{"AWSLogs/111111111111/CloudTrail", "/"},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/", "/"},
		{"AWSLogs/222222222222/CloudTrail/eu-west-1/2026/11/0", ""},
		{"a", "/"},
		{"dir with space/", ""},
		{"plus+sign/", "/"},
		{"percent%20literal/", ""},
		{"nothing/", "/"},
	} {
		want, got := list(t, local, tt.prefix, tt.delim), list(t, s3st, tt.prefix, tt.delim)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List(%q, %q): local (-) and S3 (+) differ:\n%s", tt.prefix, tt.delim, diff)
		}
	}

	// Every object reads back verified, special keys included, from many
	// goroutines sharing the store.
	var g errgroup.Group
	g.SetLimit(16)
	for e, err := range s3st.List(context.Background(), "", "") {
		if err != nil {
			t.Fatal(err)
		}
		g.Go(func() error {
			r, err := s3st.Open(context.Background(), e.ObjectInfo)
			if err != nil {
				return err
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if want, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Key))); !bytes.Equal(got, want) {
				return fmt.Errorf("%s: read %q, want %q", e.Key, got, want)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Error(err)
	}
}

func readAll(t *testing.T, st objstore.Store, info objstore.ObjectInfo) []byte {
	t.Helper()
	r, err := st.Open(context.Background(), info)
	if err != nil {
		t.Fatalf("Open %s: %v", info.Key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", info.Key, err)
	}
	return b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(b)
	return b
}

func TestIntegrationS3PutStatOpen(t *testing.T) {
	srv := s3test.Start(t)
	st := srv.Store(t, srv.Bucket(t))
	ctx := context.Background()
	body := randomBytes(3<<20 + 17)
	for _, key := range append([]string{"plain/key.bin"}, specialKeys...) {
		// A non-seekable body takes the buffering path.
		if err := st.Put(ctx, key, io.MultiReader(bytes.NewReader(body)), int64(len(body))); err != nil {
			t.Fatalf("Put %q: %v", key, err)
		}
		info, err := st.Stat(ctx, key)
		if err != nil {
			t.Fatalf("Stat %q: %v", key, err)
		}
		sum := md5.Sum(body)
		if info.Size != int64(len(body)) || info.ETag != hex.EncodeToString(sum[:]) || info.LastModified.IsZero() {
			t.Errorf("Stat %q: %+v", key, info)
		}
		if got := readAll(t, st, info); !bytes.Equal(got, body) {
			t.Errorf("%q: read back differs", key)
		}
	}
	if err := st.Put(ctx, "short", bytes.NewReader([]byte("abc")), 4); err == nil {
		t.Error("Put with a wrong size: no error")
	}
}

func TestIntegrationS3NotFound(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	st := srv.Store(t, bucket)
	ctx := context.Background()
	if _, err := st.Stat(ctx, "missing/key"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Stat: %v, want ErrNotFound", err)
	}
	if _, err := st.Open(ctx, objstore.ObjectInfo{Key: "missing/key", Size: 3}); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Open: %v, want ErrNotFound", err)
	}
	gone := srv.Store(t, bucket+"-missing")
	var err error
	for _, err = range gone.List(ctx, "", "/") {
	}
	if !errors.Is(err, objstore.ErrNotFound) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("List of a missing bucket: %v, want ErrNotFound saying the bucket does not exist", err)
	}
	t.Logf("missing bucket: %v", err)
}

func TestIntegrationS3AccessDenied(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	ctx := context.Background()
	if err := srv.Store(t, bucket).Put(ctx, "k", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	const (
		wrongSecret = "wrong-secret-do-not-print-1234"
		token       = "session-token-do-not-print-5678"
	)
	for _, tt := range []struct {
		name  string
		creds aws.CredentialsProvider
		hint  string
	}{
		{"wrong secret", credentials.NewStaticCredentialsProvider(s3test.AccessKey, wrongSecret, ""), "AWS_SECRET_ACCESS_KEY"},
		{"unknown session token", credentials.NewStaticCredentialsProvider(s3test.AccessKey, wrongSecret, token), "session credentials"},
		{"unknown key", credentials.NewStaticCredentialsProvider("AKIAUNKNOWNKEY123456", wrongSecret, ""), "AWS_ACCESS_KEY_ID"},
		{"anonymous", aws.AnonymousCredentials{}, "s3:ListBucket"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := srv.Config(bucket)
			cfg.Credentials = tt.creds
			st, err := objstore.NewS3(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, err = range st.List(ctx, "", "") {
			}
			if !errors.Is(err, objstore.ErrAccessDenied) {
				t.Fatalf("List: %v, want ErrAccessDenied", err)
			}
			msg := err.Error()
			t.Logf("List: %s", msg)
			if !strings.Contains(msg, tt.hint) {
				t.Errorf("message does not mention %s", tt.hint)
			}
			if strings.Contains(msg, wrongSecret) || strings.Contains(msg, token) || strings.Contains(msg, s3test.SecretKey) {
				t.Errorf("message leaks a credential")
			}
			_, err = st.Open(ctx, objstore.ObjectInfo{Key: "k", Size: 1})
			if !errors.Is(err, objstore.ErrAccessDenied) {
				t.Errorf("Open: %v, want ErrAccessDenied", err)
			}
		})
	}
}

// faulty returns a store that reaches the server through a fault proxy,
// with short backoffs so that retries do not slow the test down.
func faulty(t *testing.T, srv *s3test.Server, bucket string, edit func(*objstore.S3Config)) (objstore.Store, *s3test.FaultProxy) {
	t.Helper()
	p := s3test.NewFaultProxy(srv.URL)
	t.Cleanup(p.Close)
	cfg := srv.Config(bucket)
	cfg.EndpointURL = p.URL
	cfg.MaxBackoff = 20 * time.Millisecond
	if edit != nil {
		edit(&cfg)
	}
	st, err := objstore.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st, p
}

func TestIntegrationS3Faults(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	ctx := context.Background()
	body := randomBytes(1<<20 + 123)
	direct := srv.Store(t, bucket)
	if err := direct.Put(ctx, "obj", bytes.NewReader(body), int64(len(body))); err != nil {
		t.Fatal(err)
	}
	info, err := direct.Stat(ctx, "obj")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("slowdown then success", func(t *testing.T) {
		st, p := faulty(t, srv, bucket, nil)
		p.SlowDown(4)
		if got := list(t, st, "", ""); len(got) != 1 {
			t.Fatalf("listed %v", got)
		}
		p.Fail(2, 500, "InternalError")
		p.Fail(1, 429, "TooManyRequests")
		p.DropConnections(2)
		if got := readAll(t, st, info); !bytes.Equal(got, body) {
			t.Fatal("body differs")
		}
		if p.Armed() != 0 {
			t.Errorf("%d faults unused", p.Armed())
		}
	})

	t.Run("sustained slowdown gives up", func(t *testing.T) {
		st, p := faulty(t, srv, bucket, func(c *objstore.S3Config) { c.MaxAttempts = 3 })
		p.SlowDown(3)
		_, err := st.Stat(ctx, "obj")
		if err == nil || errors.Is(err, objstore.ErrAccessDenied) || errors.Is(err, objstore.ErrNotFound) || !strings.Contains(err.Error(), "3 attempts") {
			t.Fatalf("Stat: %v, want a plain failure after 3 attempts", err)
		}
		if n := len(p.Requests()); n != 3 {
			t.Errorf("%d requests, want 3 attempts", n)
		}
		t.Logf("after 3 SlowDowns: %v", err)
	})

	t.Run("cut body resumes", func(t *testing.T) {
		st, p := faulty(t, srv, bucket, nil)
		p.CutBody(100_000)
		p.CutBody(1) // the first resume is cut too
		if got := readAll(t, st, info); !bytes.Equal(got, body) {
			t.Fatal("body differs after resume")
		}
		reqs := p.Requests()
		if len(reqs) != 3 {
			t.Fatalf("requests: %+v", reqs)
		}
		for i, want := range []string{"", "bytes=100000-", "bytes=100001-"} {
			if reqs[i].Range != want || reqs[i].IfMatch != `"`+info.ETag+`"` {
				t.Errorf("request %d: Range %q If-Match %q, want %q and the ETag", i, reqs[i].Range, reqs[i].IfMatch, want)
			}
		}
	})

	t.Run("cut every time gives up", func(t *testing.T) {
		st, p := faulty(t, srv, bucket, func(c *objstore.S3Config) { c.MaxAttempts = 3 })
		p.CutBody(1000)
		for range 5 {
			p.CutBody(0)
		}
		r, err := st.Open(ctx, info)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		_, err = io.ReadAll(r)
		if err == nil || !strings.Contains(err.Error(), "giving up") {
			t.Fatalf("read: %v, want giving up", err)
		}
		t.Logf("%v", err)
	})

	t.Run("truncated body", func(t *testing.T) {
		st, p := faulty(t, srv, bucket, nil)
		p.TruncateBody(5000)
		r, err := st.Open(ctx, info)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		_, err = io.ReadAll(r)
		var ie *objstore.IntegrityError
		if !errors.As(err, &ie) || ie.What != "size" || ie.Got != "5000" {
			t.Fatalf("read: %v, want IntegrityError size", err)
		}
	})

	t.Run("flipped byte", func(t *testing.T) {
		st, p := faulty(t, srv, bucket, nil)
		p.FlipByte(777_777)
		r, err := st.Open(ctx, info)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		_, err = io.ReadAll(r)
		var ie *objstore.IntegrityError
		if !errors.As(err, &ie) || ie.What != "etag" || ie.Want != info.ETag {
			t.Fatalf("read: %v, want IntegrityError etag", err)
		}
	})

	t.Run("stalled body resumes", func(t *testing.T) {
		st, p := faulty(t, srv, bucket, func(c *objstore.S3Config) { c.ReadIdleTimeout = time.Second })
		p.StallBody(200_000, time.Minute)
		start := time.Now()
		if got := readAll(t, st, info); !bytes.Equal(got, body) {
			t.Fatal("body differs")
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("took %v", d)
		}
		// The stalled GET is followed by a resume. (Under heavy load a slow
		// read may also count as a stall: hence no exact count.)
		reqs := p.Requests()
		i := slices.IndexFunc(reqs, func(r s3test.Request) bool { return strings.HasPrefix(r.Fault, "stall") })
		if i < 0 || i+1 >= len(reqs) || !strings.HasPrefix(reqs[i+1].Range, "bytes=") {
			t.Errorf("requests: %+v", reqs)
		}
	})

	t.Run("cancelled while reading", func(t *testing.T) {
		st, p := faulty(t, srv, bucket, nil)
		p.StallBody(10_000, time.Minute)
		cctx, cancel := context.WithCancel(ctx)
		r, err := st.Open(cctx, info)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		_, err = io.ReadAll(r)
		if !errors.Is(err, context.Canceled) || time.Since(start) > 10*time.Second {
			t.Fatalf("read: %v after %v, want context.Canceled promptly", err, time.Since(start))
		}
	})
}

func TestIntegrationS3Changed(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	ctx := context.Background()
	direct := srv.Store(t, bucket)
	v1, v2 := randomBytes(300_000), bytes.Repeat([]byte("v2"), 150_000)
	put := func(b []byte) {
		t.Helper()
		if err := direct.Put(ctx, "obj", bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
	}
	put(v1)
	info, _ := direct.Stat(ctx, "obj")

	// Overwritten between listing and Open.
	put(v2)
	if _, err := direct.Open(ctx, info); !errors.Is(err, objstore.ErrChanged) {
		t.Fatalf("Open after overwrite: %v, want ErrChanged", err)
	}

	// Overwritten while being read: the resume is refused.
	put(v1)
	info, _ = direct.Stat(ctx, "obj")
	st, p := faulty(t, srv, bucket, nil)
	p.CutBody(50_000)
	r, err := st.Open(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 50_000)); err != nil {
		t.Fatal(err)
	}
	put(v2)
	_, err = io.ReadAll(r)
	if !errors.Is(err, objstore.ErrChanged) || !strings.Contains(err.Error(), "overwritten while it was read") {
		t.Fatalf("read after overwrite: %v, want ErrChanged", err)
	}
	t.Logf("%v", err)
}

// TestIntegrationS3Multipart checks that an object uploaded in parts, whose
// ETag is not an MD5 ("...-2"), reads without a false integrity error.
func TestIntegrationS3Multipart(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	ctx := context.Background()
	c := srv.Client()
	part := randomBytes(5 << 20)
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i := int32(1); i <= 2; i++ {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(i), Body: bytes.NewReader(part)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(i)})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	st := srv.Store(t, bucket)
	info, err := st.Stat(ctx, "mp")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(info.ETag, "-2") {
		t.Fatalf("ETag %q: want a multipart ETag", info.ETag)
	}
	if got := readAll(t, st, info); len(got) != 2*len(part) {
		t.Fatalf("read %d bytes", len(got))
	}
}

func TestIntegrationS3Env(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	if err := srv.Store(t, bucket).Put(context.Background(), "k", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	// The SDK takes the endpoint from AWS_ENDPOINT_URL_S3 and the keys from
	// the environment, as the CLI run by end-to-end tests does.
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	st, prefix, err := objstore.Open(context.Background(), "s3://"+bucket+"/k", objstore.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	if prefix != "k" || st.URI() != "s3://"+bucket {
		t.Errorf("Open: %s %q", st.URI(), prefix)
	}
	if got := list(t, st, prefix, ""); len(got) != 1 || got[0].Key != "k" {
		t.Errorf("listed %v", got)
	}
}
