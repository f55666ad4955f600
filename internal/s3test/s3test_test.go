package s3test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindMinIOOverride(t *testing.T) {
	t.Setenv("AUDITLAKE_MINIO", filepath.Join(t.TempDir(), "nope"))
	if _, err := FindMinIO(); err == nil || !strings.Contains(err.Error(), "AUDITLAKE_MINIO") {
		t.Errorf("FindMinIO with a bad AUDITLAKE_MINIO: %v", err)
	}
}

func TestIntegrationServer(t *testing.T) {
	srv := Start(t)
	if again := Start(t); again != srv {
		t.Error("a second Start in the same test started another server")
	}
	a, b := srv.Bucket(t), srv.Bucket(t)
	if a == b || len(a) > 63 {
		t.Errorf("buckets %q and %q", a, b)
	}
	dir := t.TempDir()
	for _, k := range []string{"x/y/z.json", "top", "sp ace/ü"} {
		p := filepath.Join(dir, filepath.FromSlash(k))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(k), 0o644)
	}
	if n := srv.Upload(t, a, dir); n != 3 {
		t.Fatalf("uploaded %d", n)
	}
	var keys []string
	for e, err := range srv.Store(t, a).List(context.Background(), "", "") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, e.Key)
	}
	if strings.Join(keys, ",") != "sp ace/ü,top,x/y/z.json" {
		t.Errorf("listed %v", keys)
	}
	env := strings.Join(srv.Env(), "\n")
	for _, want := range []string{"AWS_ENDPOINT_URL_S3=" + srv.URL, "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_REGION="} {
		if !strings.Contains(env, want) {
			t.Errorf("Env lacks %s", want)
		}
	}
}

func TestIntegrationFaultProxy(t *testing.T) {
	srv := Start(t)
	p := NewFaultProxy(srv.URL)
	defer p.Close()
	p.SlowDown(1)
	resp, err := http.Get(p.URL + "/minio/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "<Code>SlowDown</Code>") {
		t.Errorf("armed: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(p.URL + "/minio/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("pass-through: %d", resp.StatusCode)
	}
	reqs := p.Requests()
	if len(reqs) != 2 || reqs[0].Fault != "503 SlowDown" || reqs[1].Fault != "" {
		t.Errorf("requests: %+v", reqs)
	}
	p.CutBody(5)
	p.Reset()
	if p.Armed() != 0 || len(p.Requests()) != 0 {
		t.Error("Reset left faults or requests")
	}
}
