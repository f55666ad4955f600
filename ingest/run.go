package ingest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/ingest/source"
	"github.com/auditlake/auditlake/internal/duck"
)

// Config is one ingest run.
type Config struct {
	Store   objstore.Store
	Prefix  string        // key prefix to ingest under
	Filter  source.Filter // account, region and date filters
	Sources []source.Source
	// Workers fetch and decode objects concurrently. 0: 4 a core for a
	// local archive, 32 for S3 (where latency, not CPU, limits).
	Workers int
	// Group thresholds: a group of finished objects is committed when it
	// reaches any of them. Larger groups let DuckDB compress in parallel;
	// smaller ones bound memory and the work a crash loses.
	GroupRows    int
	GroupBytes   int64
	GroupObjects int
	GroupAge     time.Duration
	// SpillBytes: an object whose decoded batches pass this size streams
	// them to a staging table instead of holding them. 0: derived from the
	// memory budget and Workers.
	SpillBytes int64
	TempDir    string
	Progress   *Progress // may be nil
	Log        *slog.Logger
	Now        func() time.Time
	Version    string // tool version, recorded with the run
}

// Defaults used when the corresponding Config field is zero.
const (
	defaultGroupRows    = 262144 // two DuckDB row groups: compressed in parallel
	defaultGroupBytes   = 256 << 20
	defaultGroupObjects = 4096 // ~40 KB of Arrow buffers each, however few rows: 20,000 pending took 1 GB RSS
	defaultGroupAge     = 3 * time.Second
	// arrowBudget bounds the decoded data held by workers at once.
	arrowBudget = 192 << 20
	// maxInFlight is how many large objects' spilled batch sets may wait
	// for the writer at once.
	maxInFlight = 2
)

func (c *Config) setDefaults() {
	if c.Workers <= 0 {
		if strings.HasPrefix(c.Store.URI(), "s3://") {
			c.Workers = 32
		} else {
			c.Workers = 4 * runtime.GOMAXPROCS(0)
		}
	}
	if c.GroupRows <= 0 {
		c.GroupRows = defaultGroupRows
	}
	if c.GroupBytes <= 0 {
		c.GroupBytes = defaultGroupBytes
	}
	if c.GroupObjects <= 0 {
		c.GroupObjects = defaultGroupObjects
	}
	if c.GroupAge <= 0 {
		c.GroupAge = defaultGroupAge
	}
	if c.SpillBytes <= 0 {
		c.SpillBytes = max(arrowBudget/int64(c.Workers), 4<<20)
	}
	if c.Sources == nil {
		c.Sources = All()
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Progress == nil {
		c.Progress = &Progress{}
	}
}

// Summary is what a run did.
type Summary struct {
	RunID     string
	Location  string
	Started   time.Time
	Finished  time.Time
	Listed    int64 // objects found (after filters)
	Unchanged int64 // already ingested with the same ETag and size
	Loaded    int64
	Skipped   int64
	Failed    int64
	Rows      int64 // rows decoded
	// Duplicates removed because another object delivered the same record.
	Duplicates     int64
	SkippedRecords int64 // records that could not be used
	BytesRead      int64
	ByKind         map[string]*KindSummary
	Failures       []Failure      // the first failed objects
	SkipReasons    map[string]int // note -> objects
	Interrupted    bool
}

// KindSummary counts objects of one log type.
type KindSummary struct {
	Objects, Loaded, Skipped, Failed, Rows int64
}

// Failure is one failed object.
type Failure struct {
	Key string
	Err string
}

// MaxFailures is how many failures a Summary lists.
const MaxFailures = 20

// Kinds for objects no source loads.
const (
	kindUnsupported  = "unsupported"
	kindUnrecognised = "unrecognised"
)

type loader struct {
	cfg        Config
	store      objstore.Store
	sources    []source.Source
	layouts    []layoutOf
	pri        *priors
	results    chan *message
	progress   *Progress
	log        *slog.Logger
	now        func() time.Time
	runID      string
	spillBytes int64
	// inFlight bounds large objects' batches sent to the writer and not yet
	// staged: without it each worker could queue a channel's worth (found
	// by TestLimitLargeObject: 928 MiB of heap for one 1 GiB object).
	inFlight chan struct{}

	mu  sync.Mutex
	sum *Summary
}

type layoutOf struct {
	l   *source.Layout
	src source.Source
}

// Run ingests every new or changed object under cfg.Prefix into db. It
// returns a summary even when it returns an error. Objects that fail are
// recorded in the manifest and the summary, not returned as errors: the
// error is for what makes the run as a whole fail (the database, the
// listing, cancellation).
func Run(ctx context.Context, db *duck.DB, cfg Config) (*Summary, error) {
	cfg.setDefaults()
	l := &loader{
		cfg:        cfg,
		store:      cfg.Store,
		sources:    cfg.Sources,
		progress:   cfg.Progress,
		log:        cfg.Log,
		now:        cfg.Now,
		runID:      newRunID(cfg.Now()),
		spillBytes: cfg.SpillBytes,
		results:    make(chan *message, cfg.Workers),
		inFlight:   make(chan struct{}, maxInFlight),
	}
	for _, s := range l.sources {
		for _, lay := range s.Layouts() {
			l.layouts = append(l.layouts, layoutOf{lay, s})
		}
	}
	sum := &Summary{
		RunID:       l.runID,
		Location:    strings.TrimSuffix(cfg.Store.URI(), "/") + "/" + cfg.Prefix,
		Started:     cfg.Now(),
		ByKind:      map[string]*KindSummary{},
		SkipReasons: map[string]int{},
	}
	l.sum = sum
	if err := EnsureSchema(ctx, db, l.sources); err != nil {
		return sum, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return sum, err
	}
	defer conn.Close()
	if err := l.startRun(ctx, conn); err != nil {
		return sum, err
	}
	// A crashed run may have left rows to deduplicate.
	if _, err := dedupe(ctx, conn, l.sources); err != nil {
		return sum, fmt.Errorf("finish the previous run's dedupe: %w", err)
	}
	if l.pri, err = loadPriors(ctx, db, cfg.Store.Bucket(), cfg.Prefix); err != nil {
		return sum, err
	}

	runErr := l.pipeline(ctx, conn)

	dbctx := context.WithoutCancel(ctx)
	if runErr == nil || isCancel(runErr) {
		n, err := dedupe(dbctx, conn, l.sources)
		sum.Duplicates = n
		if err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("dedupe: %w", err))
		}
	}
	sum.Finished = cfg.Now()
	sum.Interrupted = isCancel(runErr)
	if err := l.finishRun(dbctx, conn, runErr); err != nil {
		runErr = errors.Join(runErr, err)
	}
	return sum, runErr
}

// pipeline runs the walk, the workers and the writer.
func (l *loader) pipeline(ctx context.Context, conn *duck.Conn) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tasks := make(chan *task, l.cfg.Workers*2)

	var workers sync.WaitGroup
	for range l.cfg.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			w := &worker{l: l, gz: new(gzip.Reader), buf: bufio.NewReaderSize(nil, 256<<10), raw: bufio.NewReaderSize(nil, 64<<10)}
			for t := range tasks {
				r := w.process(ctx, t)
				l.log.Debug("object", "key", t.info.Key, "status", r.status, "rows", r.stats.Rows, "err", r.err)
				l.results <- &message{done: r}
			}
		}()
	}
	wr := &writer{l: l, conn: conn, staged: map[int64]*result{}, stages: map[string]bool{}}
	writerErr := make(chan error, 1)
	go func() {
		err := wr.run(ctx)
		if err != nil {
			cancel(err)
		}
		writerErr <- err
	}()

	var seq int64
	walkErr := walk(ctx, l.store, l.cfg.Prefix, l.cfg.Filter, l.dirWanted, func(info objstore.ObjectInfo) error {
		t := l.plan(info)
		if t == nil {
			return nil
		}
		seq++
		t.seq = seq
		select {
		case tasks <- t:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	l.progress.ListingDone.Store(true)
	close(tasks)
	workers.Wait()
	close(l.results)
	err := <-writerErr
	if err == nil && walkErr != nil {
		if !isCancel(walkErr) {
			walkErr = fmt.Errorf("list %s: %w", l.sum.Location, walkErr)
		}
		err = walkErr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// plan classifies a listed object and decides whether it needs work.
func (l *loader) plan(info objstore.ObjectInfo) *task {
	t := &task{info: info}
	matched := false
	for _, lo := range l.layouts {
		if m, ok := lo.l.Match(info.Key); ok {
			t.src, t.match, matched = lo.src, lo.src.Classify(info.Key, m), true
			break
		}
	}
	if !matched {
		if m, ok := awsLogsService.Match(info.Key); ok && !l.ownService(m.Fields["service"]) {
			t.match = source.Match{Kind: kindUnsupported, Partition: m.Partition(), Note: "not a supported log type (" + m.Fields["service"] + ")"}
			t.match.Partition.Region = ""
		} else {
			t.match = source.Match{Kind: kindUnrecognised, Load: true}
		}
	}
	if !l.cfg.Filter.Allows(t.match.Partition) {
		return nil
	}
	l.progress.ListedObjects.Add(1)
	l.count(func(s *Summary) { s.Listed++ })
	if p, ok := l.pri.get(info.Key); ok {
		if p.etag == l.pri.hash(info.ETag) && p.size == info.Size && p.status != StatusFailed {
			l.progress.Unchanged.Add(1)
			l.count(func(s *Summary) { s.Unchanged++ })
			return nil
		}
		t.prior = &p
	}
	l.progress.QueuedObjects.Add(1)
	l.progress.QueuedBytes.Add(info.Size)
	return t
}

// ownService reports whether an AWSLogs/<account>/<service>/ folder belongs
// to one of our sources (whose layout the key then did not fit: let the
// content decide).
func (l *loader) ownService(service string) bool {
	for _, lo := range l.layouts {
		if slices.Contains(lo.l.Literals(), service) {
			return true
		}
	}
	return false
}

func (l *loader) count(fn func(*Summary)) {
	l.mu.Lock()
	fn(l.sum)
	l.mu.Unlock()
}

// manifestRow records a result; it also counts it in the summary (the
// writer calls it once per object).
func (l *loader) manifestRow(r *result, now time.Time) manifestRow {
	row := manifestRow{
		Bucket: l.store.Bucket(), Key: r.info.Key, ETag: r.info.ETag, Size: r.info.Size,
		LastModified: r.info.LastModified, SHA256: r.sha256, LogType: r.kind,
		Partition: r.part, Rows: r.stats.Rows, Skipped: r.stats.Skipped,
		Status: r.status, Note: r.note, RunID: l.runID, IngestedAt: now,
	}
	if r.src != nil && (r.status == StatusLoaded || r.status == StatusFailed) {
		row.Table = r.src.Table().Name
	}
	switch {
	case r.err != nil:
		row.Error = r.err.Error()
	case len(r.stats.Samples) > 0:
		row.Error = fmt.Sprintf("%d records skipped: %s", r.stats.Skipped, strings.Join(r.stats.Samples, "; "))
	}
	l.count(func(s *Summary) {
		k := s.ByKind[r.kind]
		if k == nil {
			k = &KindSummary{}
			s.ByKind[r.kind] = k
		}
		k.Objects++
		switch r.status {
		case StatusLoaded:
			s.Loaded++
			k.Loaded++
			k.Rows += r.stats.Rows
			s.Rows += r.stats.Rows
			s.SkippedRecords += r.stats.Skipped
		case StatusSkipped:
			s.Skipped++
			k.Skipped++
			s.SkipReasons[r.note]++
		case StatusFailed:
			s.Failed++
			k.Failed++
			if len(s.Failures) < MaxFailures {
				s.Failures = append(s.Failures, Failure{Key: r.info.Key, Err: row.Error})
			}
		}
		s.BytesRead += r.read
	})
	return row
}

func (l *loader) startRun(ctx context.Context, conn *duck.Conn) error {
	// Only one process can open the database for writing, so a run still
	// marked running was cut off (crash, kill -9).
	if _, err := conn.ExecContext(ctx, "UPDATE ingest_runs SET status = 'interrupted' WHERE status = 'running'"); err != nil {
		return err
	}
	filter, _ := json.Marshal(filterJSON(l.cfg.Filter))
	_, err := conn.ExecContext(ctx, `INSERT INTO ingest_runs (run_id, started_at, location, filter, status, tool_version) VALUES (?, ?, ?, ?, 'running', ?)`,
		l.runID, l.sum.Started, l.sum.Location, string(filter), l.cfg.Version)
	return err
}

func (l *loader) finishRun(ctx context.Context, conn *duck.Conn, runErr error) error {
	s := l.sum
	status := "ok"
	switch {
	case isCancel(runErr):
		status = "interrupted"
	case runErr != nil:
		status = "failed"
	case s.Failed > 0:
		status = "partial"
	}
	var errText any
	if runErr != nil {
		errText = runErr.Error()
	}
	_, err := conn.ExecContext(ctx, `UPDATE ingest_runs SET finished_at = ?, status = ?, objects_listed = ?, objects_unchanged = ?,
  objects_loaded = ?, objects_skipped = ?, objects_failed = ?, rows_decoded = ?, duplicates_removed = ?, bytes_read = ?, error = ?
WHERE run_id = ?`, s.Finished, status, s.Listed, s.Unchanged, s.Loaded, s.Skipped, s.Failed, s.Rows, s.Duplicates, s.BytesRead, errText, l.runID)
	return err
}

func filterJSON(f source.Filter) map[string]any {
	m := map[string]any{}
	if !f.Since.IsZero() {
		m["since"] = f.Since.Format(time.DateOnly)
	}
	if !f.Until.IsZero() {
		m["until"] = f.Until.Format(time.DateOnly)
	}
	if len(f.Accounts) > 0 {
		m["accounts"] = sortedKeys(f.Accounts)
	}
	if len(f.Regions) > 0 {
		m["regions"] = sortedKeys(f.Regions)
	}
	return m
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newRunID(t time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
