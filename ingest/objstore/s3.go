package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3Config says how to reach a bucket. Every field but Bucket may be left
// zero, which means what the AWS CLI would do: the standard credential chain
// (environment, shared config and credentials files with AWS_PROFILE, SSO,
// web identity, container and EC2 instance roles), the region and endpoint
// from the environment or the profile.
type S3Config struct {
	Bucket string
	// EndpointURL overrides the S3 endpoint (--endpoint-url), for MinIO,
	// Versity Gateway, Ceph and the like. Empty: AWS_ENDPOINT_URL_S3, then
	// AWS_ENDPOINT_URL, then the profile's endpoint_url, then AWS itself.
	EndpointURL string
	// Region signs the requests. Empty: AWS_REGION, AWS_DEFAULT_REGION or
	// the profile's region, else us-east-1. On AWS, a bucket found to be in
	// another region is followed there.
	Region string
	// Profile names a shared-config profile. Empty: AWS_PROFILE or default.
	Profile string
	// PathStyle forces path-style (true) or virtual-hosted (false)
	// addressing. nil: path-style exactly when an endpoint is overridden,
	// as S3-compatible servers expect.
	PathStyle *bool
	// MaxAttempts bounds the attempts of each request, first included.
	// 0: AWS_MAX_ATTEMPTS or the profile's max_attempts, else 10.
	MaxAttempts int
	// MaxBackoff caps the delay between attempts. 0: 20s.
	MaxBackoff time.Duration
	// ReadIdleTimeout is how long a body read may make no progress before
	// the connection is dropped and the read resumed. 0: 2 minutes.
	ReadIdleTimeout time.Duration
	// HTTPClient sends the requests. nil: the SDK's client (which honours
	// AWS_CA_BUNDLE and HTTPS_PROXY) with a connection pool sized for
	// parallel downloads.
	HTTPClient HTTPClient
	// Credentials replaces the standard credential chain (tests use static
	// keys). nil: the chain.
	Credentials aws.CredentialsProvider
	// MaxKeys is the listing page size. 0: the server's (1000). Tests set
	// it low to exercise pagination.
	MaxKeys int32
}

// HTTPClient is what the SDK needs of an HTTP client; *http.Client has it.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

const (
	defaultMaxAttempts = 10
	defaultMaxBackoff  = 20 * time.Second
	defaultIdleTimeout = 2 * time.Minute
	defaultRegion      = "us-east-1"
	// backoffBase is the first retry's delay (before jitter); it doubles
	// each attempt up to MaxBackoff.
	backoffBase = 250 * time.Millisecond
	// maxSpool is the largest non-seekable Put body buffered in memory;
	// larger ones go to a temporary file.
	maxSpool = 16 << 20
)

// Validate reports a configuration that cannot work.
func (c S3Config) Validate() error {
	if c.Bucket == "" {
		return errors.New("s3: no bucket name")
	}
	if strings.ContainsAny(c.Bucket, "/ ") {
		return fmt.Errorf("s3: %q is not a bucket name", c.Bucket)
	}
	if c.EndpointURL != "" {
		u, err := url.Parse(c.EndpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("s3: endpoint URL %q: want http://host[:port] or https://host[:port]", c.EndpointURL)
		}
	}
	if c.MaxAttempts < 0 || c.MaxBackoff < 0 || c.ReadIdleTimeout < 0 || c.MaxKeys < 0 {
		return errors.New("s3: MaxAttempts, MaxBackoff, ReadIdleTimeout and MaxKeys must not be negative")
	}
	return nil
}

// s3Store is a bucket.
type s3Store struct {
	cfg         S3Config
	awsCfg      aws.Config
	retryer     aws.Retryer
	backoff     backoff
	maxAttempts int
	idle        time.Duration
	creds       *recordingCreds

	mu       sync.Mutex
	client   *s3.Client
	region   string
	endpoint string // as the client resolved it, "" for AWS; set once by NewS3
}

// NewS3 returns a Store over cfg.Bucket. It loads the AWS configuration but
// makes no request: a bucket that does not exist or may not be read shows
// at the first List, Stat or Open.
func NewS3(ctx context.Context, cfg S3Config) (Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var httpClient HTTPClient = cfg.HTTPClient
	if httpClient == nil {
		httpClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			// Downloads run in parallel; the SDK's default keeps 10 idle
			// connections per host and would reconnect for the rest.
			tr.MaxIdleConns = 256
			tr.MaxIdleConnsPerHost = 128
			tr.ResponseHeaderTimeout = time.Minute
		})
	}
	opts := []func(*config.LoadOptions) error{config.WithHTTPClient(httpClient)}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		hint := ""
		if cfg.Profile != "" {
			hint = fmt.Sprintf(" (is profile %q in ~/.aws/config or ~/.aws/credentials?)", cfg.Profile)
		}
		return nil, fmt.Errorf("s3: load AWS configuration%s: %s", hint, redactEnv(err.Error()))
	}
	s := &s3Store{
		cfg:         cfg,
		maxAttempts: firstNonZero(cfg.MaxAttempts, awsCfg.RetryMaxAttempts, defaultMaxAttempts),
		idle:        firstNonZero(cfg.ReadIdleTimeout, 0, defaultIdleTimeout),
		backoff:     backoff{base: backoffBase, max: firstNonZero(cfg.MaxBackoff, 0, defaultMaxBackoff)},
	}
	s.creds = &recordingCreds{inner: awsCfg.Credentials}
	if awsCfg.Credentials != nil {
		awsCfg.Credentials = s.creds
	}
	s.awsCfg = awsCfg
	s.retryer = retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = s.maxAttempts
		o.Backoff = s.backoff
		// The default retry quota stops retrying after ~100 failures in a
		// row, which is what sustained 503 SlowDown on a busy bucket looks
		// like; backing off is the right answer to throttling, giving up is
		// not.
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, retry.RetryableHTTPStatusCode{Codes: map[int]struct{}{429: {}}})
	})
	region := awsCfg.Region
	if region == "" {
		region = defaultRegion
	}
	s.endpoint = s.setClient(region)
	return s, nil
}

// firstNonZero returns the first of its arguments that is not zero.
func firstNonZero[T comparable](vals ...T) T {
	var zero T
	for _, v := range vals {
		if v != zero {
			return v
		}
	}
	return zero
}

// setClient makes the client for region and returns the endpoint it
// resolved ("" for AWS). The caller holds s.mu or is NewS3.
func (s *s3Store) setClient(region string) (endpoint string) {
	s.client = s3.NewFromConfig(s.awsCfg, func(o *s3.Options) {
		o.Region = region
		if s.cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(s.cfg.EndpointURL)
		}
		// By here o.BaseEndpoint holds what the environment or the profile
		// set, too (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, endpoint_url).
		if s.cfg.PathStyle != nil {
			o.UsePathStyle = *s.cfg.PathStyle
		} else {
			o.UsePathStyle = o.BaseEndpoint != nil
		}
		endpoint = aws.ToString(o.BaseEndpoint)
		o.Retryer = s.retryer
		o.RetryMaxAttempts = 0 // already in s.retryer
		// Open verifies size and MD5 itself, for whole and resumed reads
		// alike. The SDK's default CRC checksums (aws-chunked trailers) are
		// not understood by every S3-compatible server; Put sends
		// Content-MD5 instead.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	s.region = region
	return endpoint
}

func (s *s3Store) current() (*s3.Client, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client, s.region
}

// followRegion switches to the bucket's region when err says the bucket
// lives elsewhere (S3 answers a request signed for the wrong region with
// 301 PermanentRedirect or 400 AuthorizationHeaderMalformed, both carrying
// x-amz-bucket-region). It reports whether the request is worth repeating.
func (s *s3Store) followRegion(err error) bool {
	region := bucketRegion(err)
	if region == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if region == s.region {
		return false
	}
	s.setClient(region)
	return true
}

// do runs one request, once more in the bucket's region if the first
// attempt went to the wrong one.
func (s *s3Store) do(ctx context.Context, fn func(*s3.Client) error) error {
	c, _ := s.current()
	err := fn(c)
	if err != nil && ctx.Err() == nil && s.followRegion(err) {
		c, _ = s.current()
		err = fn(c)
	}
	return err
}

func (s *s3Store) URI() string    { return "s3://" + s.cfg.Bucket }
func (s *s3Store) Bucket() string { return s.cfg.Bucket }

func (s *s3Store) where(key string) string { return "s3://" + s.cfg.Bucket + "/" + key }

// List pages through ListObjectsV2. S3 returns each page's keys and common
// prefixes in two sorted lists, and pages in key order; merging each page
// gives one sequence in key order. Keys are requested URL-encoded, since
// XML 1.0 cannot carry every character a key may hold, and decoded when the
// server says it encoded them. Zero-byte "folder" markers (keys ending in
// "/", made by consoles) are skipped: they are not objects anyone ingests,
// and a directory cannot hold them.
func (s *s3Store) List(ctx context.Context, prefix, delimiter string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		in := &s3.ListObjectsV2Input{
			Bucket:       aws.String(s.cfg.Bucket),
			EncodingType: types.EncodingTypeUrl,
		}
		if prefix != "" {
			in.Prefix = aws.String(prefix)
		}
		if delimiter != "" {
			in.Delimiter = aws.String(delimiter)
		}
		if s.cfg.MaxKeys > 0 {
			in.MaxKeys = aws.Int32(s.cfg.MaxKeys)
		}
		c, _ := s.current()
		pages := s3.NewListObjectsV2Paginator(c, in)
		first := true
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil && first && ctx.Err() == nil && s.followRegion(err) {
				c, _ = s.current()
				pages = s3.NewListObjectsV2Paginator(c, in)
				page, err = pages.NextPage(ctx)
			}
			first = false
			if err != nil {
				yield(Entry{}, s.mapErr(ctx, "list", prefix, err))
				return
			}
			ents, err := pageEntries(page)
			if err != nil {
				yield(Entry{}, fmt.Errorf("s3: list %s: %w", s.where(prefix), err))
				return
			}
			for _, e := range ents {
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}

// pageEntries merges one page's objects and common prefixes in key order.
func pageEntries(page *s3.ListObjectsV2Output) ([]Entry, error) {
	decode := func(s string) (string, error) { return s, nil }
	if page.EncodingType == types.EncodingTypeUrl {
		decode = url.QueryUnescape
	}
	ents := make([]Entry, 0, len(page.Contents)+len(page.CommonPrefixes))
	for _, o := range page.Contents {
		key, err := decode(aws.ToString(o.Key))
		if err != nil {
			return nil, fmt.Errorf("undecodable key %q: %w", aws.ToString(o.Key), err)
		}
		size := aws.ToInt64(o.Size)
		if size == 0 && strings.HasSuffix(key, "/") {
			continue
		}
		ents = append(ents, Entry{ObjectInfo: ObjectInfo{
			Key:          key,
			Size:         size,
			ETag:         unquote(aws.ToString(o.ETag)),
			LastModified: aws.ToTime(o.LastModified),
		}})
	}
	for _, p := range page.CommonPrefixes {
		key, err := decode(aws.ToString(p.Prefix))
		if err != nil {
			return nil, fmt.Errorf("undecodable prefix %q: %w", aws.ToString(p.Prefix), err)
		}
		ents = append(ents, Entry{ObjectInfo: ObjectInfo{Key: key}, IsPrefix: true})
	}
	slices.SortFunc(ents, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	return ents, nil
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }

func (s *s3Store) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	var out *s3.HeadObjectOutput
	err := s.do(ctx, func(c *s3.Client) (err error) {
		out, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
		return err
	})
	if err != nil {
		return ObjectInfo{}, s.mapErr(ctx, "stat", key, err)
	}
	return ObjectInfo{
		Key:          key,
		Size:         aws.ToInt64(out.ContentLength),
		ETag:         unquote(aws.ToString(out.ETag)),
		LastModified: aws.ToTime(out.LastModified),
	}, nil
}

// Put sends the body in one PutObject with Content-MD5, which S3 checks.
// Our objects (log files, evidence) are far below the 5 GB single-PUT limit,
// so the multipart uploader is not used. The SDK needs a seekable body to
// sign the payload over plain HTTP and to retry; other readers are buffered
// (in memory up to 16 MiB, else in a temporary file). size, if not negative,
// must be the body's length.
func (s *s3Store) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	rs, cleanup, err := seekable(body, size)
	if err != nil {
		return fmt.Errorf("s3: put %s: %w", s.where(key), err)
	}
	defer cleanup()
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("s3: put %s: %w", s.where(key), err)
	}
	h := md5.New()
	n, err := io.Copy(h, rs)
	if err == nil {
		_, err = rs.Seek(start, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("s3: put %s: read body: %w", s.where(key), err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("s3: put %s: body has %d bytes, want %d", s.where(key), n, size)
	}
	err = s.do(ctx, func(c *s3.Client) error {
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return err
		}
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(s.cfg.Bucket),
			Key:           aws.String(key),
			Body:          rs,
			ContentLength: aws.Int64(n),
			ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(h.Sum(nil))),
		})
		return err
	})
	if err != nil {
		return s.mapErr(ctx, "put", key, err)
	}
	return nil
}

// seekable returns body as an io.ReadSeeker, buffering it if it is not one.
func seekable(body io.Reader, size int64) (io.ReadSeeker, func(), error) {
	if rs, ok := body.(io.ReadSeeker); ok {
		return rs, func() {}, nil
	}
	if size >= 0 && size <= maxSpool {
		buf := bytes.NewBuffer(make([]byte, 0, size))
		if _, err := buf.ReadFrom(io.LimitReader(body, size+1)); err != nil {
			return nil, nil, err
		}
		return bytes.NewReader(buf.Bytes()), func() {}, nil
	}
	f, err := os.CreateTemp("", "auditlake-put-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, body); err != nil {
		cleanup()
		return nil, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, nil, err
	}
	return f, cleanup, nil
}

// backoff is exponential with "equal jitter": attempt i waits between half
// and all of min(base*2^(i-1), max), so retries from many workers spread out
// but none comes at once.
type backoff struct{ base, max time.Duration }

func (b backoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	return b.delay(attempt), nil
}

func (b backoff) delay(attempt int) time.Duration {
	d := b.max
	if attempt >= 1 && attempt < 32 {
		if x := b.base << (attempt - 1); x > 0 && x < b.max {
			d = x
		}
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
