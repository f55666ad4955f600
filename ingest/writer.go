package ingest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/auditlake/auditlake/ingest/source"
	"github.com/auditlake/auditlake/internal/duck"
)

// message goes from a worker to the writer: either some batches of a large
// object still being read (partial), or a finished object (done).
type message struct {
	partial *result
	batches []arrow.RecordBatch
	done    *result
}

// writer is the only goroutine that writes to the database. It commits
// finished objects in groups: each group's rows, its manifest rows and the
// time windows still to deduplicate go in one transaction, so after a crash
// an object is either wholly in the tables and the manifest, or in neither.
type writer struct {
	l       *loader
	conn    *duck.Conn
	pending []*result
	rows    int64
	bytes   int64
	oldest  time.Time
	staged  map[int64]*result // large objects with rows in a staging table
	stages  map[string]bool   // staging tables created
	// A group committing in the background while the next one fills, so
	// that decoding goes on during the insert (docs/BENCHMARKS.md). At most
	// one: the next commit, and anything else on conn, waits for it.
	inflight      chan error
	inflightGroup []*result
}

func (w *writer) run(ctx context.Context) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	// Database work must finish even when ctx is cancelled: a commit is
	// what leaves the database consistent after Ctrl-C.
	dbctx := context.WithoutCancel(ctx)
	for {
		select {
		case m, ok := <-w.l.results:
			if !ok {
				return w.commit(dbctx)
			}
			if err := w.receive(dbctx, m); err != nil {
				w.drain()
				return err
			}
		case err := <-w.inflight: // never ready while nil
			if err := w.finished(err); err != nil {
				w.drain()
				return err
			}
		case <-tick.C:
		}
		if w.due() {
			if err := w.startCommit(dbctx); err != nil {
				w.drain()
				return err
			}
		}
	}
}

// drain releases everything still in flight after a fatal error, so that
// workers blocked on the channel can finish.
func (w *writer) drain() {
	w.wait() // its results are released whatever it returns
	for _, r := range w.pending {
		r.release()
	}
	w.pending = nil
	for m := range w.l.results {
		for _, b := range m.batches {
			b.Release()
		}
		if m.partial != nil {
			<-w.l.inFlight
		}
		if m.done != nil {
			m.done.release()
		}
	}
}

func (w *writer) receive(ctx context.Context, m *message) error {
	if m.partial != nil {
		defer func() {
			for _, b := range m.batches {
				b.Release()
			}
			<-w.l.inFlight
		}()
		return w.stage(ctx, m.partial, m.batches)
	}
	r := m.done
	w.l.progress.objectDone(r)
	if r.staged && r.status != StatusLoaded {
		if err := w.unstage(ctx, r); err != nil {
			return err
		}
	}
	if r.err != nil && isCancel(r.err) {
		// Interrupted, not failed: leave no trace, the next run redoes it.
		r.release()
		return nil
	}
	w.pending = append(w.pending, r)
	if len(w.pending) == 1 {
		w.oldest = time.Now()
	}
	w.rows += r.stats.Rows
	w.bytes += r.bytes
	return nil
}

func (w *writer) due() bool {
	c := w.l.cfg
	return len(w.pending) > 0 && (w.rows >= int64(c.GroupRows) || w.bytes >= c.GroupBytes ||
		len(w.pending) >= c.GroupObjects || time.Since(w.oldest) >= c.GroupAge)
}

func stageName(t *source.Table) string { return "stage_" + t.Name }

// stage inserts a large object's batches into its staging table (a
// temporary table, spilled to disk by DuckDB when memory is short).
func (w *writer) stage(ctx context.Context, r *result, batches []arrow.RecordBatch) error {
	if err := w.wait(); err != nil {
		return err
	}
	t := r.src.Table()
	name := stageName(t)
	if !w.stages[name] {
		if _, err := w.conn.ExecContext(ctx, fmt.Sprintf(
			"CREATE TEMP TABLE IF NOT EXISTS %s AS SELECT *, 0::BIGINT AS _obj FROM %s LIMIT 0", name, t.Name)); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		w.stages[name] = true
	}
	if _, err := w.conn.ExecArrow(ctx, "staged_batch", t.FullSchema(), batches,
		fmt.Sprintf("INSERT INTO %s SELECT *, %d FROM staged_batch", name, r.seq)); err != nil {
		return fmt.Errorf("stage %s: %w", r.info.Key, err)
	}
	w.staged[r.seq] = r
	return nil
}

func (w *writer) unstage(ctx context.Context, r *result) error {
	if err := w.wait(); err != nil {
		return err
	}
	delete(w.staged, r.seq)
	_, err := w.conn.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE _obj = %d", stageName(r.src.Table()), r.seq))
	return err
}

// window is the event-time span of rows committed in one group.
type window struct {
	lo, hi  time.Time
	hasNull bool
	set     bool
}

func (w *window) add(t time.Time) {
	if !w.set || t.Before(w.lo) {
		w.lo = t
	}
	if !w.set || t.After(w.hi) {
		w.hi = t
	}
	w.set = true
}

// commit writes the pending group in one transaction, after the group
// committing in the background (if any).
func (w *writer) commit(ctx context.Context) error {
	if err := w.wait(); err != nil {
		for _, r := range w.pending {
			r.release()
		}
		w.pending = nil
		return err
	}
	return w.commitGroup(ctx, w.take())
}

// startCommit commits the pending group in the background, once the
// previous one is done.
func (w *writer) startCommit(ctx context.Context) error {
	if err := w.wait(); err != nil {
		return err
	}
	group := w.take()
	done := make(chan error, 1)
	w.inflight, w.inflightGroup = done, group
	go func() { done <- w.commitGroup(ctx, group) }()
	return nil
}

// take hands over the pending group.
func (w *writer) take() []*result {
	group := w.pending
	w.pending, w.rows, w.bytes = nil, 0, 0
	return group
}

// wait waits for the group committing in the background.
func (w *writer) wait() error {
	if w.inflight == nil {
		return nil
	}
	return w.finished(<-w.inflight)
}

// finished records the end of the background commit that returned err.
func (w *writer) finished(err error) error {
	for _, r := range w.inflightGroup {
		if r.staged {
			delete(w.staged, r.seq)
		}
	}
	w.inflight, w.inflightGroup = nil, nil
	return err
}

// commitGroup writes group in one transaction and releases its results. It
// runs on the writer goroutine or, alone, in the background: it uses conn and
// nothing of w that the writer goroutine changes meanwhile.
func (w *writer) commitGroup(ctx context.Context, group []*result) error {
	if len(group) == 0 {
		return nil
	}
	var rows int64
	for _, r := range group {
		rows += r.stats.Rows
	}
	start := time.Now()
	type tableGroup struct {
		t       *source.Table
		batches []arrow.RecordBatch
		staged  []int64
		win     window
	}
	groups := map[string]*tableGroup{}
	var order []string
	var manifest []manifestRow
	replaced := map[string][]string{} // table -> keys whose earlier rows go
	var priorKeys []string
	now := w.l.now()
	for _, r := range group {
		if r.prior != nil {
			priorKeys = append(priorKeys, r.info.Key)
			if r.prior.status == StatusLoaded && r.prior.table != "" {
				replaced[r.prior.table] = append(replaced[r.prior.table], r.info.Key)
			}
		}
		manifest = append(manifest, w.l.manifestRow(r, now))
		if r.status != StatusLoaded {
			continue
		}
		t := r.src.Table()
		g := groups[t.Name]
		if g == nil {
			g = &tableGroup{t: t}
			groups[t.Name] = g
			order = append(order, t.Name)
		}
		g.batches = append(g.batches, r.batches...)
		if r.staged {
			g.staged = append(g.staged, r.seq)
		}
		if t.Time != "" && len(t.Key) > 0 {
			timeWindow(&g.win, t, r.batches)
		}
	}
	err := w.conn.Tx(ctx, func() error {
		for table, keys := range replaced {
			for _, src := range w.l.sources {
				if src.Table().Name == table {
					if err := restoreCopies(ctx, w.conn, src.Table(), w.l.store.Bucket(), keys); err != nil {
						return err
					}
				}
			}
			if err := deleteKeys(ctx, w.conn, table, "source_bucket = ? AND source_key", w.l.store.Bucket(), keys); err != nil {
				return fmt.Errorf("remove rows of changed objects: %w", err)
			}
		}
		for _, name := range order {
			g := groups[name]
			t := g.t
			if len(g.batches) > 0 {
				if _, err := w.conn.ExecArrow(ctx, "loaded_batch", t.FullSchema(), g.batches,
					"INSERT INTO "+t.Name+" SELECT * FROM loaded_batch"); err != nil {
					return fmt.Errorf("insert into %s: %w", t.Name, err)
				}
			}
			if len(g.staged) > 0 {
				in := joinInts(g.staged)
				if len(t.Key) > 0 && t.Time != "" {
					var lo, hi *time.Time
					var hasNull *bool
					if err := w.conn.QueryRowContext(ctx, fmt.Sprintf("SELECT min(%[1]s), max(%[1]s), bool_or(%[1]s IS NULL) FROM %[2]s WHERE _obj IN (%[3]s)",
						t.Time, stageName(t), in)).Scan(&lo, &hi, &hasNull); err != nil {
						return err
					}
					if lo != nil {
						g.win.add(*lo)
						g.win.add(*hi)
					}
					if hasNull != nil && *hasNull {
						g.win.hasNull = true
					}
				}
				if _, err := w.conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s SELECT * EXCLUDE (_obj) FROM %s WHERE _obj IN (%s)",
					t.Name, stageName(t), in)); err != nil {
					return fmt.Errorf("insert staged rows into %s: %w", t.Name, err)
				}
				if _, err := w.conn.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE _obj IN (%s)", stageName(t), in)); err != nil {
					return err
				}
			}
			if g.win.set || g.win.hasNull {
				var lo, hi any
				if g.win.set {
					lo, hi = g.win.lo, g.win.hi
				}
				if _, err := w.conn.ExecContext(ctx, "INSERT INTO ingest_dirty VALUES (?, ?, ?, ?)", t.Name, lo, hi, g.win.hasNull); err != nil {
					return err
				}
			}
		}
		if len(priorKeys) > 0 {
			if err := deleteKeys(ctx, w.conn, manifestTable.Name, "bucket = ? AND key", w.l.store.Bucket(), priorKeys); err != nil {
				return fmt.Errorf("replace manifest rows: %w", err)
			}
		}
		mb := manifestBatch(manifest)
		defer mb.Release()
		_, err := w.conn.ExecArrow(ctx, "manifest_batch", manifestTable.Schema(), []arrow.RecordBatch{mb},
			"INSERT INTO ingest_objects SELECT * FROM manifest_batch")
		return err
	})
	for _, r := range group {
		r.release()
	}
	w.l.log.Debug("committed group", "objects", len(group), "rows", rows, "elapsed", time.Since(start))
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	w.l.progress.committed.Add(int64(len(manifest)))
	return nil
}

// timeWindow widens win by the time column of the batches.
func timeWindow(win *window, t *source.Table, batches []arrow.RecordBatch) {
	for _, b := range batches {
		idx := b.Schema().FieldIndices(t.Time)
		if len(idx) == 0 {
			continue
		}
		col, ok := b.Column(idx[0]).(*array.Timestamp)
		if !ok {
			continue
		}
		var lo, hi arrow.Timestamp
		any := false
		for i := range col.Len() {
			if col.IsNull(i) {
				win.hasNull = true
				continue
			}
			v := col.Value(i)
			if !any || v < lo {
				lo = v
			}
			if !any || v > hi {
				hi = v
			}
			any = true
		}
		if any {
			win.add(time.UnixMicro(int64(lo)).UTC())
			win.add(time.UnixMicro(int64(hi)).UTC())
		}
	}
}

// deleteKeys deletes rows WHERE <cond> IN (keys), in chunks of bound
// parameters. Rarely more than a handful: only objects seen before.
func deleteKeys(ctx context.Context, conn *duck.Conn, table, cond, bucket string, keys []string) error {
	const chunk = 500
	for len(keys) > 0 {
		n := min(chunk, len(keys))
		args := []any{bucket}
		for _, k := range keys[:n] {
			args = append(args, k)
		}
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)", table, cond, strings.TrimSuffix(strings.Repeat("?,", n), ","))
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

func joinInts(v []int64) string {
	var b strings.Builder
	for i, n := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d", n)
	}
	return b.String()
}
