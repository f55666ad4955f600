package ingest

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/ingest/source"
	"github.com/auditlake/auditlake/internal/duck"
	"github.com/auditlake/auditlake/internal/s3test"
)

// The limits: what one object, one event and one prefix can be before the
// loader's memory or correctness gives way. Figures go to
// docs/RELIABILITY.md; the slow ones skip under -short.

// TestLimitHugeEvent loads one CloudTrail event over 10 MB (a policy
// document in requestParameters) and checks its payload arrives intact.
func TestLimitHugeEvent(t *testing.T) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \\\"{}"
	big := make([]byte, 11<<20)
	for i := range big {
		big[i] = alphabet[i*7919%len(alphabet)]
	}
	// JSON-escape by hand: \ and " are the only specials in the alphabet.
	payload := `{"policyDocument":"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(string(big)) + `","n":[1,2,3]}`
	ev := fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"2026-10-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"PutRolePolicy","awsRegion":"us-east-1","eventID":"huge-1","requestParameters":%s,"recipientAccountId":"%s"}`, payload, acct)
	store := newMemStore()
	key := ctKey(acct, "us-east-1", day1, "huge")
	store.objects[key] = records(ev, event("small-1", day1, "GetUser"))
	db := openDB(t)
	sum := run(t, db, store, nil)
	if sum.Loaded != 1 || sum.Rows != 2 || sum.Failed != 0 {
		t.Fatalf("loaded %d objects, %d rows, %d failed (%v); want 1, 2, 0", sum.Loaded, sum.Rows, sum.Failed, sum.Failures)
	}
	var n int64
	var sum5 string
	if err := db.QueryRow(`SELECT length(request_parameters::VARCHAR), md5(request_parameters::VARCHAR) FROM cloudtrail WHERE event_id = 'huge-1'`).Scan(&n, &sum5); err != nil {
		t.Fatal(err)
	}
	want := md5.Sum([]byte(payload))
	if n != int64(len(payload)) || sum5 != hex.EncodeToString(want[:]) {
		t.Errorf("request_parameters: %d chars, md5 %s; want %d chars, md5 %x", n, sum5, len(payload), want)
	}
	var doc string
	if err := db.QueryRow(`SELECT json_extract_string(request_parameters, '$.policyDocument') FROM cloudtrail WHERE event_id = 'huge-1'`).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	if doc != string(big) {
		t.Errorf("policyDocument differs from what was written (%d chars, want %d)", len(doc), len(big))
	}
}

// genStore is a bucket whose keys and bodies are generated on demand, so
// that a test can list a million keys or read a multi-GB object without
// holding either. Keys must come in lexical order.
type genStore struct {
	keys func(yield func(key string, size int64) bool)
	open func(key string) io.Reader
}

func (g *genStore) URI() string    { return "s3://gen-bucket" }
func (g *genStore) Bucket() string { return "gen-bucket" }

func (g *genStore) List(ctx context.Context, prefix, delim string) iter.Seq2[objstore.Entry, error] {
	return func(yield func(objstore.Entry, error) bool) {
		last := ""
		for k, size := range g.keys {
			if !strings.HasPrefix(k, prefix) {
				continue
			}
			rest := k[len(prefix):]
			if i := strings.Index(rest, delim); delim != "" && i >= 0 {
				if p := prefix + rest[:i+1]; p != last {
					last = p
					if !yield(objstore.Entry{ObjectInfo: objstore.ObjectInfo{Key: p}, IsPrefix: true}, nil) {
						return
					}
				}
				continue
			}
			if !yield(objstore.Entry{ObjectInfo: objstore.ObjectInfo{Key: k, Size: size, ETag: "e"}}, nil) {
				return
			}
		}
	}
}

func (g *genStore) Open(ctx context.Context, info objstore.ObjectInfo) (io.ReadCloser, error) {
	return io.NopCloser(g.open(info.Key)), nil
}

func (g *genStore) Stat(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	return objstore.ObjectInfo{}, objstore.ErrNotFound
}

func (g *genStore) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	return fmt.Errorf("genStore is read-only")
}

// heapPeak samples the Go heap until stop is called, which returns the
// peaks of HeapInuse (what the heap holds, garbage not yet collected
// included) and of the live heap (what the last GC found reachable: the
// memory the code keeps).
func heapPeak() (stop func() (inuse, live uint64)) {
	var peakInuse, peakLive atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			runtime.ReadMemStats(&ms)
			metrics.Read(sample)
			peakInuse.Store(max(peakInuse.Load(), ms.HeapInuse))
			peakLive.Store(max(peakLive.Load(), sample[0].Value.Uint64()))
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return peakInuse.Load(), peakLive.Load()
	}
}

// heapNow collects garbage and returns the live heap.
func heapNow() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// rssPeak is the process's peak resident set (VmHWM), or 0 off Linux.
func rssPeak() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

const mib = 1 << 20

// ctGenerator writes a CloudTrail file of about size bytes: events of ~4 KB
// with distinct IDs and times, and returns the number of events written.
func ctGenerator(w io.Writer, size int64) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	policy := strings.Repeat(`{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bucket/*\"},`, 48)
	if _, err := bw.WriteString(`{"Records":[`); err != nil {
		return 0, err
	}
	var n, written int64
	base := day1.UnixMilli()
	for written < size {
		if n > 0 {
			bw.WriteByte(',')
		}
		at := time.UnixMilli(base + n).UTC().Format("2006-01-02T15:04:05Z")
		m, err := fmt.Fprintf(bw, `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/gen","accountId":"%s","userName":"gen"},"eventTime":"%s","eventSource":"iam.amazonaws.com","eventName":"PutUserPolicy","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.%d","requestParameters":{"userName":"gen","policyDocument":"[%s{}]"},"eventID":"gen-%010d","eventType":"AwsApiCall","recipientAccountId":"%s"}`,
			acct, acct, at, n%250, policy, n, acct)
		if err != nil {
			return n, err
		}
		written += int64(m)
		n++
	}
	if _, err := bw.WriteString(`]}`); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// TestLimitLargeObject streams one gzip CloudTrail object of
// $AUDITLAKE_LIMIT_MB decompressed (default 1024) through the loader from a
// generator (no file on disk, nothing held) and checks the Go heap stays
// under a bound that does not grow with the object: the decoder streams,
// and a large object's batches go to a staging table every SpillBytes.
func TestLimitLargeObject(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: streams 1 GB")
	}
	size := int64(1024)
	if v, err := strconv.ParseInt(os.Getenv("AUDITLAKE_LIMIT_MB"), 10, 64); err == nil && v > 0 {
		size = v
	}
	size *= mib
	key := ctKey(acct, "us-east-1", day1, "large")
	var events atomic.Int64
	var gzBytes atomic.Int64
	store := &genStore{
		keys: func(yield func(string, int64) bool) { yield(key, size) },
		open: func(string) io.Reader {
			pr, pw := io.Pipe()
			go func() {
				zw, _ := gzip.NewWriterLevel(countWriter{pw, &gzBytes}, gzip.BestSpeed)
				n, err := ctGenerator(zw, size)
				if err == nil {
					err = zw.Close()
				}
				events.Store(n)
				pw.CloseWithError(err)
			}()
			return pr
		},
	}
	// DuckDB's own memory (outside the Go heap) is capped as a user would
	// cap it on a small machine; the staging table spills to disk.
	db, err := duck.Open(context.Background(), filepath.Join(t.TempDir(), "limit.duckdb"), duck.Options{MemoryLimit: "512MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := heapNow()
	stop := heapPeak()
	start := time.Now()
	sum, err := Run(context.Background(), db, Config{Store: store})
	took := time.Since(start)
	peak, live := stop()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded != 1 || sum.Rows != events.Load() || sum.Rows == 0 {
		t.Fatalf("loaded %d objects, %d rows (%v); want 1 object of %d events", sum.Loaded, sum.Rows, sum.Failures, events.Load())
	}
	if n := queryInt(t, db, "SELECT count(*) FROM cloudtrail"); n != events.Load() {
		t.Errorf("%d rows in cloudtrail, want %d", n, events.Load())
	}
	t.Logf("%d MiB decompressed (%d MiB gzip, %d events) in %v (%.0f MB/s): Go heap live %d MiB before; peaks: HeapInuse %d MiB, live %d MiB; process peak RSS %d MiB (DuckDB memory_limit 512MB)",
		size/mib, gzBytes.Load()/mib, events.Load(), took.Round(time.Millisecond), float64(size)/1e6/took.Seconds(), base/mib, peak/mib, live/mib, rssPeak()/mib)
	// The bound: 512 MiB whatever the object's size. What the loader holds
	// is the decoder's batches up to SpillBytes a worker, the writer's
	// group and the gzip and read buffers, none of which grows with the
	// object.
	if peak > 512*mib {
		t.Errorf("peak Go heap %d MiB streaming a %d MiB object, want < 512 MiB", peak/mib, size/mib)
	}
}

type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// TestLimitMillionKeys lists a prefix of a million keys (another AWS
// service's logs: recorded as unsupported, never downloaded) and measures
// what the listing, planning and manifest cost in memory per key, on the
// first run and on the second, where the manifest's prior entries are
// loaded to skip unchanged keys.
func TestLimitMillionKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: a million keys")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("AUDITLAKE_LIMIT_KEYS")); err == nil && v > 0 {
		n = v
	}
	keyOf := func(i int) string {
		return fmt.Sprintf("AWSLogs/%s/elasticloadbalancing/us-east-1/2026/10/%02d/%s_elasticloadbalancing_us-east-1_app.lb.%07d_20261001T0000Z_192.0.2.1_x.log.gz", acct, 1+i/(n/30+1), acct, i)
	}
	store := &genStore{
		keys: func(yield func(string, int64) bool) {
			for i := range n {
				if !yield(keyOf(i), 1234) {
					return
				}
			}
		},
		open: func(k string) io.Reader { panic("opened " + k) },
	}
	db := openDB(t)
	for pass := 1; pass <= 2; pass++ {
		base := heapNow()
		stop := heapPeak()
		start := time.Now()
		sum, err := Run(context.Background(), db, Config{Store: store})
		took := time.Since(start)
		peak, live := stop()
		if err != nil {
			t.Fatal(err)
		}
		perKey := float64(int64(live)-int64(base)) / float64(n)
		t.Logf("pass %d: %d keys listed, %d unchanged, %d skipped in %v (%.0f keys/s); Go heap live %d MiB before; peaks: HeapInuse %d MiB, live %d MiB: %.0f live bytes a key",
			pass, sum.Listed, sum.Unchanged, sum.Skipped, took.Round(time.Millisecond), float64(n)/took.Seconds(), base/mib, peak/mib, live/mib, perKey)
		switch pass {
		case 1:
			if sum.Listed != int64(n) || sum.Skipped != int64(n) {
				t.Fatalf("listed %d, skipped %d; want %d each", sum.Listed, sum.Skipped, n)
			}
			// Listing and planning stream, nothing is kept a key: the peak
			// is the writer's group of pending objects (GroupObjects), the
			// same for 300k keys (47 MiB) as for 1M (49 MiB).
			if live > 128*mib {
				t.Errorf("first run: live heap peaked at %d MiB, want < 128 MiB whatever the number of keys", live/mib)
			}
		case 2:
			if sum.Unchanged != int64(n) {
				t.Fatalf("second run: %d unchanged, want %d", sum.Unchanged, n)
			}
			// The manifest's prior entries, a map from a 64-bit hash of
			// each key to a 48-byte entry: measured 184 bytes a key with
			// the map's slack (56 MiB at 300k keys, 179 MiB at 1M).
			if perKey > 250 {
				t.Errorf("second run: %.0f live bytes a key, want < 250", perKey)
			}
		}
	}
	if got := queryInt(t, db, "SELECT count(*) FROM ingest_objects"); got != int64(n) {
		t.Errorf("%d manifest rows, want %d", got, n)
	}
}

// oddKeys are keys with what S3 allows and naive code mishandles: unicode,
// spaces, "+" (a space in form encoding), "%" (escapes), "&" and "=",
// and "." / ".." in segments. dotdot marks keys with a ".." segment,
// which S3 allows and a directory cannot hold.
var oddKeys = []struct {
	key    string
	dotdot bool
}{
	{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0000Z_ünï cödé + 100%.json.gz"},
	{key: "trail prefix with spaces/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/a+b=c&d.json.gz"},
	{key: "pct%2Fencoded%20/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/%2e%2e.json.gz"},
	{key: "日本語/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/😀.json.gz"},
	{key: "dots/.../..x/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/x..json.gz"},
	{key: "loose files/ü+%20 sniffed.json.gz"}, // no layout: recognised by content
	{key: "up/../AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/dotdot.json.gz", dotdot: true},
	{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/../01/dotdot-day.json.gz", dotdot: true},
}

// putOddKeys writes one single-event object under each odd key the store
// takes, and returns the keys written.
func putOddKeys(t *testing.T, store objstore.Store, withDotDot bool) []string {
	t.Helper()
	var keys []string
	for i, k := range oddKeys {
		body := records(event(fmt.Sprintf("odd-%d", i), day1.Add(time.Duration(i)*time.Minute), "GetUser"))
		err := store.Put(context.Background(), k.key, strings.NewReader(string(body)), int64(len(body)))
		if k.dotdot && !withDotDot {
			if err == nil {
				t.Errorf("%s: Put(%q) took a key with a \"..\" segment", store.URI(), k.key)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: Put(%q): %v", store.URI(), k.key, err)
		}
		keys = append(keys, k.key)
	}
	return keys
}

// checkOddKeys runs the loader over store and checks every key is loaded
// and recorded exactly as written, in the manifest and in source_key.
func checkOddKeys(t *testing.T, store objstore.Store, keys []string, f source.Filter) {
	t.Helper()
	db := openDB(t)
	sum, err := Run(context.Background(), db, Config{Store: store, Workers: 3, Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded != int64(len(keys)) || sum.Failed != 0 {
		t.Errorf("%s: loaded %d of %d objects, %d failed: %v", store.URI(), sum.Loaded, len(keys), sum.Failed, sum.Failures)
	}
	for _, k := range keys {
		i := slices.IndexFunc(oddKeys, func(o struct {
			key    string
			dotdot bool
		}) bool {
			return o.key == k
		})
		var status, bucket string
		var rows int64
		if err := db.QueryRow(`SELECT status, bucket, rows FROM ingest_objects WHERE key = ?`, k).Scan(&status, &bucket, &rows); err != nil {
			t.Errorf("%s: manifest row for %q: %v", store.URI(), k, err)
			continue
		}
		if status != StatusLoaded || bucket != store.Bucket() || rows != 1 {
			t.Errorf("%s: %q recorded as %s in %s with %d rows", store.URI(), k, status, bucket, rows)
		}
		if n := queryInt(t, db, `SELECT count(*) FROM cloudtrail WHERE source_key = ? AND event_id = ?`, k, fmt.Sprintf("odd-%d", i)); n != 1 {
			t.Errorf("%s: %d rows with source_key %q and its event", store.URI(), n, k)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM ingest_objects`); n != int64(len(keys)) {
		t.Errorf("%s: %d manifest rows, want %d", store.URI(), n, len(keys))
	}
	// A second run finds every key unchanged: the key it lists is the key
	// it recorded, byte for byte.
	sum, err = Run(context.Background(), db, Config{Store: store, Workers: 3, Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unchanged != int64(len(keys)) {
		t.Errorf("%s: second run: %d of %d keys unchanged", store.URI(), sum.Unchanged, len(keys))
	}
}

// TestLimitOddKeys loads odd keys from an in-process bucket (S3's rules:
// any key, ".." included), listed flat and with a filter, and from a local
// directory (which refuses ".." segments at Put: no file can be named so).
func TestLimitOddKeys(t *testing.T) {
	t.Run("bucket", func(t *testing.T) {
		store := newMemStore()
		keys := putOddKeys(t, store, true)
		checkOddKeys(t, store, keys, source.Filter{})
		// With a filter the loader walks one level at a time and prunes.
		checkOddKeys(t, store, keys, source.Filter{Since: day1, Accounts: map[string]bool{acct: true}})
	})
	t.Run("local", func(t *testing.T) {
		store, err := objstore.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		checkOddKeys(t, store, putOddKeys(t, store, false), source.Filter{})
	})
}

// TestIntegrationLimitOddKeysS3 loads the odd keys from a real S3 server
// (MinIO), listing them flat and, with a filter, one level at a time. MinIO
// refuses keys with a ".." segment (XMinioInvalidResourceName; AWS S3 takes
// them), so those are covered by TestLimitOddKeys/bucket.
func TestIntegrationLimitOddKeysS3(t *testing.T) {
	srv := s3test.Start(t)
	store := srv.Store(t, srv.Bucket(t))
	keys := putOddKeys(t, store, false)
	checkOddKeys(t, store, keys, source.Filter{})
	checkOddKeys(t, store, keys, source.Filter{Since: day1, Accounts: map[string]bool{acct: true}})
}
