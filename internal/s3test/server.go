package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/auditlake/auditlake/ingest/objstore"
)

// The server's fixed test credentials and region.
const (
	AccessKey = "auditlake-test-key"
	SecretKey = "auditlake-test-secret-8c1f"
	Region    = "us-east-1"
)

// Server is a running MinIO server.
type Server struct {
	URL string // http://127.0.0.1:port

	cmd    *exec.Cmd
	dir    string
	logs   *tailBuffer
	exited chan struct{}
	client *s3.Client
}

// shared is the test binary's one server, started by the first Start and
// stopped when the last test using it ends, or at the end of Main.
var shared struct {
	mu     sync.Mutex
	srv    *Server
	refs   int
	inMain bool
}

// Start returns the test binary's MinIO server, starting it if needed, and
// releases it when t ends. Without Main, the server stops when no running
// test holds it (so tests that run one after another may each start one);
// with Main it lives until the end of the binary.
//
// If the minio binary is missing, Start fails t with instructions, or skips
// t when AUDITLAKE_SKIP_S3=1.
func Start(t testing.TB) *Server {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil {
		bin, err := FindMinIO()
		if err != nil {
			if os.Getenv("AUDITLAKE_SKIP_S3") == "1" {
				t.Skipf("skipped (AUDITLAKE_SKIP_S3=1): %v", err)
			}
			t.Fatalf("%v\nInstall it with `make tools` (or `go install github.com/minio/minio@latest`), point AUDITLAKE_MINIO at a minio binary, or set AUDITLAKE_SKIP_S3=1 to skip the S3 integration tests.", err)
		}
		srv, err := startServer(bin)
		if err != nil {
			t.Fatalf("s3test: %v", err)
		}
		shared.srv = srv
	}
	shared.refs++
	srv := shared.srv
	t.Cleanup(func() {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		shared.refs--
		if shared.refs == 0 && !shared.inMain && shared.srv == srv {
			srv.stop()
			shared.srv = nil
		}
	})
	return srv
}

// Main runs the tests with one server for the whole binary, started by the
// first test that calls Start, and stops it afterwards:
//
//	func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.stop()
		shared.srv = nil
	}
	shared.inMain = false
	return code
}

// FindMinIO returns the minio binary to run: $AUDITLAKE_MINIO, else minio
// in $PATH, in $(go env GOPATH)/bin, or in bin/ at the repository root.
func FindMinIO() (string, error) {
	if p := os.Getenv("AUDITLAKE_MINIO"); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("s3test: AUDITLAKE_MINIO=%s is not an executable file", p)
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	var tried []string
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		tried = append(tried, filepath.Join(gp, "bin", "minio"))
	}
	if root, err := repoRoot(); err == nil {
		tried = append(tried, filepath.Join(root, "bin", "minio"))
	}
	for _, p := range tried {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("s3test: no minio binary (looked at $AUDITLAKE_MINIO, $PATH, %s)", strings.Join(tried, ", "))
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// repoRoot is the nearest directory at or above the working directory (a
// test's package directory) that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// startServer runs bin on a free loopback port, trying another port if the
// one picked was taken meanwhile.
func startServer(bin string) (*Server, error) {
	var err error
	for range 3 {
		var srv *Server
		if srv, err = tryStart(bin); err == nil {
			return srv, nil
		}
	}
	return nil, err
}

func tryStart(bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "auditlake-minio-*")
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	srv := &Server{URL: "http://" + addr, dir: dir, logs: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, filepath.Join(dir, "data"))
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINIO_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"MINIO_ROOT_USER="+AccessKey,
		"MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off", // no console, so no second port
		"MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off",
	)
	cmd.Stdout, cmd.Stderr = srv.logs, srv.logs
	killWithParent(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	srv.cmd = cmd
	go func() { cmd.Wait(); close(srv.exited) }()

	if err := srv.waitReady(30 * time.Second); err != nil {
		srv.stop()
		return nil, fmt.Errorf("minio at %s: %w\n--- minio output ---\n%s", addr, err, srv.logs.String())
	}
	srv.client = s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	return srv, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return errors.New("exited before it was ready")
		default:
		}
		resp, err := client.Get(s.URL + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v", timeout)
}

func (s *Server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	os.RemoveAll(s.dir)
}

var bucketSeq atomic.Int64

// Bucket creates an empty bucket for t, named after it.
func (s *Server) Bucket(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
		if b.Len() >= 36 {
			break
		}
	}
	var rnd [3]byte
	rand.Read(rnd[:])
	name := fmt.Sprintf("t-%s-%d-%s", strings.Trim(b.String(), "-"), bucketSeq.Add(1), hex.EncodeToString(rnd[:]))
	name = strings.ReplaceAll(name, "--", "-")
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	return name
}

// Client returns an SDK client for the server with the root credentials,
// for what the Store interface does not do (multipart uploads, deletes).
func (s *Server) Client() *s3.Client { return s.client }

// Env returns the environment (KEY=value) that points the AWS SDK, and so
// the auditlake CLI run as a subprocess, at this server: append it to
// os.Environ(). It also shuts out the developer's own AWS configuration and
// the EC2 metadata service.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL_S3=" + s.URL,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_PROFILE=",
	}
}

// Config returns the store configuration for bucket on this server, with
// the test credentials (not the environment's).
func (s *Server) Config(bucket string) objstore.S3Config {
	pathStyle := true
	return objstore.S3Config{
		Bucket:      bucket,
		EndpointURL: s.URL,
		Region:      Region,
		PathStyle:   &pathStyle,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	}
}

// Store returns a store for bucket on this server (see Config).
func (s *Server) Store(t testing.TB, bucket string) objstore.Store {
	t.Helper()
	st, err := objstore.NewS3(context.Background(), s.Config(bucket))
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return st
}

// Upload copies the regular files under dir into bucket, keyed by their
// slash paths relative to dir, several at a time. It returns how many it
// uploaded.
func (s *Server) Upload(t testing.TB, bucket, dir string) int {
	t.Helper()
	st := s.Store(t, bucket)
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(8)
	var n atomic.Int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		g.Go(func() error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			if err := st.Put(ctx, filepath.ToSlash(rel), f, fi.Size()); err != nil {
				return err
			}
			n.Add(1)
			return nil
		})
		return nil
	})
	if gerr := g.Wait(); err == nil {
		err = gerr
	}
	if err != nil {
		t.Fatalf("s3test: upload %s to %s: %v", dir, bucket, err)
	}
	return int(n.Load())
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
