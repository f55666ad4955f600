package queries

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// RunConfig selects what Evaluate runs.
type RunConfig struct {
	// WindowStart and WindowEnd bound the analysed window [start, end).
	WindowStart, WindowEnd time.Time
	// Packs and Detections select detections by pack name and id; both
	// empty means every detection of the catalog.
	Packs, Detections []string
	// Params overrides parameters: "detection_id.name" for one detection,
	// "name" for every selected detection that declares it.
	Params  map[string]string
	Catalog *Catalog
	// Version is the auditlake version recorded with the run.
	Version string

	// Timeout bounds each detection; 0 means 5 minutes.
	Timeout time.Duration
	// Parallel is how many detections run at once; 0 means 2.
	Parallel int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Progress, if set, is called after each detection (from any
	// goroutine, one call at a time).
	Progress func(done, total int, r *DetectionResult)
}

// querier is a *sql.DB or one of its connections.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Statuses of a detection result.
const (
	StatusPass   = "pass"    // ran, no finding
	StatusFail   = "fail"    // findings
	StatusNoData = "no_data" // a source it needs has no rows for the window
	StatusError  = "error"
)

// RunResult is what one evaluation found.
type RunResult struct {
	RunID                  string
	StartedAt, FinishedAt  time.Time
	WindowStart, WindowEnd time.Time
	Version                string
	Packs                  []PackRef
	// Status is "ok", or "partial" when some detection errored.
	Status  string
	Results []*DetectionResult // in catalog order
	// Findings of every detection, sorted by severity, detection, account,
	// principal, resource and first_seen.
	Findings []*Finding
	Catalog  *Catalog
}

// PackRef names a pack and its version.
type PackRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DetectionResult is the outcome of one detection.
type DetectionResult struct {
	Detection *Detection
	Status    string
	Error     string
	Findings  []*Finding
	// Params are the effective parameters, by name (window included).
	Params    map[string]any
	SQL       string // the exact statement that ran
	SQLSHA256 string
	Duration  time.Duration
}

// Finding is one row a detection returned. Empty strings stand for NULL.
type Finding struct {
	DetectionID   string
	FindingID     string
	Severity      string
	AccountID     string
	Region        string
	Principal     string
	Resource      string
	FirstSeen     time.Time
	LastSeen      time.Time
	Count         int64
	EventIDs      []string
	SourceObjects []string
	Details       json.RawMessage
}

// FindingID is the stable identity of a finding: the SHA-256 (hex) of the
// detection id, account, region, principal and resource, each followed by
// a newline (NULL as the empty string). The same finding in two runs has
// the same id.
func FindingID(detectionID, account, region, principal, resource string) string {
	h := sha256.New()
	for _, s := range []string{detectionID, account, region, principal, resource} {
		h.Write([]byte(s))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ConfigError is a RunConfig that cannot run: unknown pack, detection or
// parameter, or a bad value or window.
type ConfigError struct{ msg string }

func (e *ConfigError) Error() string { return e.msg }

func configErr(format string, a ...any) error { return &ConfigError{fmt.Sprintf(format, a...)} }

// Select returns the detections cfg selects, in catalog order.
func (cfg *RunConfig) Select() ([]*Detection, error) {
	c := cfg.Catalog
	for _, p := range cfg.Packs {
		if _, ok := c.Pack(p); !ok {
			return nil, configErr("unknown pack %q (see 'auditlake packs')", p)
		}
	}
	for _, id := range cfg.Detections {
		if _, ok := c.Detection(id); !ok {
			return nil, configErr("unknown detection %q (see 'auditlake packs')", id)
		}
	}
	var out []*Detection
	for _, d := range c.Detections {
		if len(cfg.Packs) == 0 && len(cfg.Detections) == 0 ||
			slices.Contains(cfg.Packs, d.Pack.Name) || slices.Contains(cfg.Detections, d.ID) {
			out = append(out, d)
		}
	}
	return out, nil
}

// overrides splits cfg.Params per detection and checks that each names a
// declared parameter of a selected detection.
func (cfg *RunConfig) overrides(sel []*Detection) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	keys := make([]string, 0, len(cfg.Params))
	for k := range cfg.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg.Params[k]
		id, name, scoped := strings.Cut(k, ".")
		if !scoped {
			name, id = k, ""
		}
		used := false
		for _, d := range sel {
			if scoped && d.ID != id {
				continue
			}
			p, ok := d.Param(name)
			if !ok {
				if scoped {
					return nil, configErr("param %s: detection %s has no parameter %q", k, id, name)
				}
				continue
			}
			if out[d.ID] == nil {
				out[d.ID] = map[string]string{}
			}
			if _, set := out[d.ID][name]; set && !scoped {
				continue // a scoped value wins over a global one
			}
			if _, err := parseLike(p.Default, v); err != nil {
				return nil, configErr("param %s=%q for %s: %v", k, v, d.ID, err)
			}
			out[d.ID][name] = v
			used = true
		}
		if !used {
			return nil, configErr("param %s: no selected detection declares it", k)
		}
	}
	return out, nil
}

// bind returns the query arguments for the $names the SQL uses and the
// effective parameters. An override is parsed as the default's type.
func (d *Detection) bind(ws, we time.Time, over map[string]string) ([]any, map[string]any, error) {
	eff := map[string]any{"window_start": ws.UTC().Format(time.RFC3339), "window_end": we.UTC().Format(time.RFC3339)}
	vals := map[string]any{"window_start": ws, "window_end": we}
	for _, p := range d.Params {
		v := p.Default
		if s, ok := over[p.Name]; ok {
			var err error
			if v, err = parseLike(p.Default, s); err != nil {
				return nil, nil, fmt.Errorf("param %s.%s=%q: %w", d.ID, p.Name, s, err)
			}
		}
		vals[p.Name] = v
		eff[p.Name] = v
	}
	var args []any
	for _, u := range d.uses {
		args = append(args, sql.Named(u, vals[u]))
	}
	return args, eff, nil
}

func parseLike(def any, s string) (any, error) {
	switch def.(type) {
	case int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("want an integer")
		}
		return n, nil
	case float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, errors.New("want a number")
		}
		return f, nil
	case bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, errors.New("want true or false")
		}
		return b, nil
	}
	return s, nil
}

// wrap is the statement the runner executes around a detection's query:
// it only selects the finding columns, with details as text.
func wrap(q string) string {
	q = strings.TrimRight(strings.TrimSpace(q), ";")
	return "SELECT account_id, region, principal, resource, first_seen, last_seen, count, event_ids, source_objects, CAST(details AS VARCHAR) AS details FROM (\n" +
		q + "\n) AS detection"
}

// NewRunID returns a run id: the start time (UTC, seconds) and 8 random hex
// digits.
func NewRunID(t time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Evaluate runs the selected detections on db, which should be a read-only
// handle (see internal/duck.Options.ReadOnly). A detection that fails is
// recorded with status error and the run goes on (run status partial);
// Evaluate itself fails only on a bad configuration or a cancelled ctx.
func Evaluate(ctx context.Context, db *sql.DB, cfg RunConfig) (*RunResult, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("queries: RunConfig.Catalog is nil")
	}
	if !cfg.WindowEnd.After(cfg.WindowStart) {
		return nil, configErr("window end %s is not after its start %s", cfg.WindowEnd.Format(time.RFC3339), cfg.WindowStart.Format(time.RFC3339))
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	parallel := cfg.Parallel
	if parallel <= 0 {
		parallel = 2
	}
	sel, err := cfg.Select()
	if err != nil {
		return nil, err
	}
	over, err := cfg.overrides(sel)
	if err != nil {
		return nil, err
	}
	ws, we := cfg.WindowStart.UTC(), cfg.WindowEnd.UTC()
	res := &RunResult{
		StartedAt: now().UTC(), WindowStart: ws, WindowEnd: we,
		Version: cfg.Version, Status: "ok", Catalog: cfg.Catalog,
	}
	res.RunID = NewRunID(res.StartedAt)
	for _, p := range cfg.Catalog.Packs {
		if slices.ContainsFunc(sel, func(d *Detection) bool { return d.Pack == p }) {
			res.Packs = append(res.Packs, PackRef{p.Name, p.Version})
		}
	}

	// Each worker keeps one connection for the whole run. A read-only
	// database locks its configuration, so a new connection may fail to
	// initialise once the first is open: run with the connections we get.
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < min(parallel, len(sel)); i++ {
		c, err := db.Conn(ctx)
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("queries: %w", err)
			}
			break
		}
		conns = append(conns, c)
	}
	if len(conns) == 0 {
		c, err := db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("queries: %w", err)
		}
		conns = append(conns, c)
	}

	hasData, err := sourcesWithData(ctx, conns[0], sel, ws, we)
	if err != nil {
		return nil, err
	}

	res.Results = make([]*DetectionResult, len(sel))
	var mu sync.Mutex
	done := 0
	next := make(chan int)
	g, gctx := errgroup.WithContext(ctx)
	for _, conn := range conns {
		g.Go(func() error {
			for i := range next {
				r := evaluateOne(gctx, conn, sel[i], ws, we, over[sel[i].ID], hasData, timeout, now)
				if gctx.Err() != nil {
					return gctx.Err()
				}
				mu.Lock()
				res.Results[i] = r
				done++
				if cfg.Progress != nil {
					cfg.Progress(done, len(sel), r)
				}
				mu.Unlock()
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(next)
		for i := range sel {
			select {
			case next <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, r := range res.Results {
		if r.Status == StatusError {
			res.Status = "partial"
		}
		res.Findings = append(res.Findings, r.Findings...)
	}
	sortFindings(res.Findings)
	res.FinishedAt = now().UTC()
	return res, nil
}

// sourcesWithData reports, per source table the selection reads, whether
// it has rows for the window: within it for event sources, at or before
// its end for as-of sources. A table that does not exist has no data.
func sourcesWithData(ctx context.Context, db querier, sel []*Detection, ws, we time.Time) (map[string]bool, error) {
	tables := sourceTables()
	out := map[string]bool{}
	for _, d := range sel {
		for _, s := range d.Sources {
			if _, done := out[s]; done {
				continue
			}
			tcol, ok := tables[s]
			if !ok {
				out[s] = false
				continue
			}
			q := fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE %s >= $1 AND %s < $2)", s, tcol, tcol)
			args := []any{ws, we}
			if asOfSources[s] {
				q = fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE %s <= $1)", s, tcol)
				args = []any{we}
			}
			var ok2 bool
			if err := db.QueryRowContext(ctx, q, args...).Scan(&ok2); err != nil {
				if strings.Contains(err.Error(), "does not exist") {
					out[s] = false
					continue
				}
				return nil, fmt.Errorf("queries: check %s for data: %w", s, err)
			}
			out[s] = ok2
		}
	}
	return out, nil
}

func evaluateOne(ctx context.Context, db querier, d *Detection, ws, we time.Time, over map[string]string, hasData map[string]bool, timeout time.Duration, now func() time.Time) *DetectionResult {
	start := now()
	r := &DetectionResult{Detection: d, SQL: wrap(d.SQL)}
	sum := sha256.Sum256([]byte(r.SQL))
	r.SQLSHA256 = hex.EncodeToString(sum[:])
	defer func() { r.Duration = now().Sub(start) }()
	args, eff, err := d.bind(ws, we, over)
	r.Params = eff
	if err != nil {
		r.Status, r.Error = StatusError, err.Error()
		return r
	}
	var empty []string
	for _, s := range d.Sources {
		if !hasData[s] {
			empty = append(empty, s)
		}
	}
	if len(empty) > 0 {
		r.Status = StatusNoData
		r.Error = "no rows for the window in " + strings.Join(empty, ", ")
		return r
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	findings, err := query(qctx, db, d, r.SQL, args)
	switch {
	case err != nil && qctx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		r.Status, r.Error = StatusError, fmt.Sprintf("timed out after %s", timeout)
	case err != nil:
		r.Status, r.Error = StatusError, err.Error()
	case len(findings) == 0:
		r.Status = StatusPass
	default:
		r.Status, r.Findings = StatusFail, findings
	}
	return r
}

func query(ctx context.Context, db querier, d *Detection, stmt string, args []any) ([]*Finding, error) {
	rows, err := db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Finding
	for rows.Next() {
		var (
			account, region, principal, resource, details sql.NullString
			first, last                                   sql.NullTime
			count                                         sql.NullInt64
			events, objects                               any
		)
		if err := rows.Scan(&account, &region, &principal, &resource, &first, &last, &count, &events, &objects, &details); err != nil {
			return nil, err
		}
		f := &Finding{
			DetectionID: d.ID, Severity: d.Severity,
			AccountID: account.String, Region: region.String, Principal: principal.String, Resource: resource.String,
			FirstSeen: first.Time.UTC(), LastSeen: last.Time.UTC(), Count: count.Int64,
			EventIDs: strings_(events), SourceObjects: strings_(objects),
		}
		if details.Valid {
			f.Details = json.RawMessage(details.String)
		}
		f.FindingID = FindingID(d.ID, f.AccountID, f.Region, f.Principal, f.Resource)
		out = append(out, f)
	}
	return out, rows.Err()
}

// strings_ turns a scanned VARCHAR[] into a sorted list without NULLs or
// duplicates.
func strings_(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func sortFindings(fs []*Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ra, rb := SeverityRank(a.Severity), SeverityRank(b.Severity); ra != rb {
			return ra < rb
		}
		for _, p := range [][2]string{{a.DetectionID, b.DetectionID}, {a.AccountID, b.AccountID}, {a.Principal, b.Principal}, {a.Resource, b.Resource}} {
			if p[0] != p[1] {
				return p[0] < p[1]
			}
		}
		if !a.FirstSeen.Equal(b.FirstSeen) {
			return a.FirstSeen.Before(b.FirstSeen)
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if !a.LastSeen.Equal(b.LastSeen) {
			return a.LastSeen.Before(b.LastSeen)
		}
		return string(a.Details) < string(b.Details)
	})
}
