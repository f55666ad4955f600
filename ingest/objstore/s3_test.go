package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
)

const (
	fakeKeyID  = "AKIAFAKEFAKEFAKE0001"
	fakeSecret = "fake/secret+value/that-must-not-leak"
	fakeToken  = "fake-session-token-that-must-not-leak"
)

// fakeS3 is a scripted S3 endpoint for what MinIO cannot show: a bucket in
// another region, an encoded listing, a server that echoes secrets.
type fakeS3 struct {
	mu       sync.Mutex
	regions  []string // signing region of each request
	paths    []string
	region   string // the bucket's
	throttle int    // answer this many requests with 429 first
}

var credScope = regexp.MustCompile(`Credential=[^/]+/\d+/([^/]+)/s3/`)

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	region := ""
	if m := credScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	f.mu.Lock()
	f.regions = append(f.regions, region)
	f.paths = append(f.paths, r.URL.Path)
	throttle := f.throttle > 0
	if throttle {
		f.throttle--
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	fail := func(status int, code, msg string) {
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>req-1</RequestId></Error>`, code, msg)
	}
	switch {
	case throttle:
		fail(http.StatusTooManyRequests, "TooManyRequests", "slow down")
	case region != f.region:
		w.Header().Set("X-Amz-Bucket-Region", f.region)
		fail(http.StatusMovedPermanently, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.")
	case r.URL.Path == "/bkt" && r.URL.Query().Get("list-type") == "2":
		// Keys and prefixes URL-encoded, as S3 does with encoding-type=url;
		// the page's two lists interleave in key order.
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult><Name>bkt</Name><Prefix></Prefix><KeyCount>4</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
<Contents><Key>a+b%2Bc</Key><LastModified>2026-11-01T00:00:00.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>3</Size></Contents>
<Contents><Key>caf%C3%A9</Key><LastModified>2026-11-01T00:00:00.000Z</LastModified><ETag>&quot;x-2&quot;</ETag><Size>4</Size></Contents>
<Contents><Key>folder/</Key><LastModified>2026-11-01T00:00:00.000Z</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size></Contents>
<CommonPrefixes><Prefix>b%20c/</Prefix></CommonPrefixes>
</ListBucketResult>`)
	case r.URL.Path == "/bkt/leak":
		// A hostile or buggy server echoing what it was sent.
		fail(http.StatusForbidden, "SignatureDoesNotMatch", "you sent "+fakeSecret+" and "+fakeToken+" for "+fakeKeyID)
	default:
		fail(http.StatusNotFound, "NoSuchKey", "no")
	}
}

func fakeEnv(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_MAX_ATTEMPTS",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

func fakeStore(t *testing.T, cfg S3Config) Store {
	t.Helper()
	cfg.Bucket = "bkt"
	cfg.Credentials = credentials.NewStaticCredentialsProvider(fakeKeyID, fakeSecret, fakeToken)
	cfg.MaxBackoff = time.Millisecond
	st, err := NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestS3EndpointFromEnv checks that the SDK here takes AWS_ENDPOINT_URL_S3
// (and so we switch to path-style), defaults the region to us-east-1,
// retries 429, follows the bucket to its region and decodes the listing.
func TestS3EndpointFromEnv(t *testing.T) {
	fakeEnv(t)
	fake := &fakeS3{region: "eu-west-1", throttle: 2}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	st := fakeStore(t, S3Config{})

	var got []string
	for e, err := range st.List(context.Background(), "", "/") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %d %s %v", e.Key, e.Size, e.ETag, e.IsPrefix))
	}
	want := []string{
		"a b+c 3 0123456789abcdef0123456789abcdef false",
		"b c/ 0  true",
		"café 4 x-2 false",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"us-east-1", "us-east-1", "us-east-1", "eu-west-1"}, fake.regions); diff != "" {
		t.Errorf("signing regions (-want +got):\n%s", diff)
	}
	for _, p := range fake.paths {
		if p != "/bkt" {
			t.Errorf("request path %q: want path-style /bkt", p)
		}
	}
}

// TestS3GenericEndpointFromEnv checks AWS_ENDPOINT_URL, which the SDK
// reads into the shared configuration rather than per service.
func TestS3GenericEndpointFromEnv(t *testing.T) {
	fakeEnv(t)
	fake := &fakeS3{region: "us-east-1"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	st := fakeStore(t, S3Config{})
	n := 0
	for _, err := range st.List(context.Background(), "", "/") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 || len(fake.paths) != 1 || fake.paths[0] != "/bkt" {
		t.Errorf("%d entries, requests %v", n, fake.paths)
	}
}

func TestS3NoCredentials(t *testing.T) {
	fakeEnv(t) // no credentials anywhere, and no instance metadata service
	fake := &fakeS3{region: "us-east-1"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	st, err := NewS3(context.Background(), S3Config{Bucket: "bkt", EndpointURL: srv.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, err = range st.List(context.Background(), "", "") {
	}
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "no usable AWS credentials") {
		t.Fatalf("List: %v, want ErrAccessDenied about credentials", err)
	}
	t.Log(err)
	if len(fake.paths) != 0 {
		t.Errorf("requests sent without credentials: %v", fake.paths)
	}
	if _, err := NewS3(context.Background(), S3Config{Bucket: "bkt", Profile: "no-such-profile"}); err == nil || !strings.Contains(err.Error(), "no-such-profile") {
		t.Errorf("NewS3 with a missing profile: %v", err)
	}
}

func TestS3ErrorsRedactCredentials(t *testing.T) {
	fakeEnv(t)
	fake := &fakeS3{region: "us-east-1"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	st := fakeStore(t, S3Config{EndpointURL: srv.URL})
	_, err := st.Open(context.Background(), ObjectInfo{Key: "leak", Size: 1})
	if !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("Open: %v, want ErrAccessDenied", err)
	}
	for _, secret := range []string{fakeSecret, fakeToken, fakeKeyID} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows %q: %v", secret, err)
		}
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error: %v", err)
	}
	if _, err := st.Stat(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat: %v, want ErrNotFound", err)
	}
}

// TestS3RegionFollowedOverEndpoint checks that a region given explicitly
// is still corrected when the server names the bucket's.
func TestS3RegionFollowedOverEndpoint(t *testing.T) {
	fakeEnv(t)
	fake := &fakeS3{region: "us-east-1"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	st := fakeStore(t, S3Config{EndpointURL: srv.URL, Region: "ap-south-1"})
	var err error
	for _, err = range st.List(context.Background(), "", "") {
	}
	// Followed to us-east-1, where the listing works.
	if err != nil {
		t.Fatalf("List: %v", err)
	}
}

func TestS3ConfigValidate(t *testing.T) {
	for _, c := range []S3Config{
		{},
		{Bucket: "a/b"},
		{Bucket: "b", EndpointURL: "localhost:9000"},
		{Bucket: "b", EndpointURL: "ftp://x"},
		{Bucket: "b", MaxAttempts: -1},
	} {
		if c.Validate() == nil {
			t.Errorf("Validate(%+v): no error", c)
		}
	}
	if err := (S3Config{Bucket: "b", EndpointURL: "http://127.0.0.1:9000"}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{base: 250 * time.Millisecond, max: 20 * time.Second}
	for attempt, hi := range map[int]time.Duration{1: 250 * time.Millisecond, 2: 500 * time.Millisecond, 5: 4 * time.Second, 9: 20 * time.Second, 40: 20 * time.Second} {
		for range 50 {
			if d := b.delay(attempt); d < hi/2 || d > hi {
				t.Fatalf("delay(%d) = %v, want in [%v, %v]", attempt, d, hi/2, hi)
			}
		}
	}
}
