package queries

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Case is one test case of a detection, from
// packs/<pack>/testdata/<detection_id>.yaml.
type Case struct {
	Name string `yaml:"name"`
	// Window is [start, end) as RFC 3339; empty means October 2026.
	Window []string                    `yaml:"window"`
	Params map[string]any              `yaml:"params"`
	Rows   map[string][]map[string]any `yaml:"rows"`
	// Want lists the expected findings, each matched on its fields only;
	// the number of findings must equal len(Want).
	Want []map[string]any `yaml:"want"`
}

// DefaultCaseWindow is the window of a case that gives none.
var DefaultCaseWindow = [2]time.Time{
	time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
}

// CasesPath is where a detection's cases live, relative to its pack.
func CasesPath(id string) string { return path.Join("testdata", id+".yaml") }

// LoadCases reads a detection's test cases. A missing file is an error
// wrapping fs.ErrNotExist.
func LoadCases(d *Detection) ([]Case, error) {
	file := path.Join(d.Pack.Path, CasesPath(d.ID))
	b, err := fs.ReadFile(d.Pack.fsys, path.Join(d.Pack.dir, CasesPath(d.ID)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var doc struct {
		Cases []Case `yaml:"cases"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	names := map[string]bool{}
	for i, c := range doc.Cases {
		if c.Name == "" {
			return nil, fmt.Errorf("%s: case %d has no name", file, i+1)
		}
		if names[c.Name] {
			return nil, fmt.Errorf("%s: case %q appears twice", file, c.Name)
		}
		names[c.Name] = true
		if len(c.Window) != 0 && len(c.Window) != 2 {
			return nil, fmt.Errorf("%s: case %q: window needs [start, end]", file, c.Name)
		}
	}
	return doc.Cases, nil
}

// CheckCaseCoverage reports a detection without a positive case (one that
// wants findings) or without a negative one (want: []).
func CheckCaseCoverage(cases []Case) error {
	pos := slices.ContainsFunc(cases, func(c Case) bool { return len(c.Want) > 0 })
	neg := slices.ContainsFunc(cases, func(c Case) bool { return len(c.Want) == 0 })
	switch {
	case !pos && !neg:
		return errors.New("no test cases")
	case !pos:
		return errors.New("no positive case (a case whose want lists findings)")
	case !neg:
		return errors.New("no negative case (a case with want: [])")
	}
	return nil
}

// CaseDB is a scratch database for running cases: every source table,
// emptied before each case.
type CaseDB struct {
	db      *sql.DB
	columns map[string]map[string]string // table -> column -> DuckDB type
	order   map[string][]string
}

// NewCaseDB opens a scratch database (see OpenScratch).
func NewCaseDB(ctx context.Context) (*CaseDB, error) {
	db, err := OpenScratch(ctx)
	if err != nil {
		return nil, err
	}
	c := &CaseDB{db: db, columns: map[string]map[string]string{}, order: map[string][]string{}}
	for name := range sourceTables() {
		rows, err := db.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position`, name)
		if err != nil {
			db.Close()
			return nil, err
		}
		c.columns[name] = map[string]string{}
		for rows.Next() {
			var col, typ string
			if err := rows.Scan(&col, &typ); err != nil {
				rows.Close()
				db.Close()
				return nil, err
			}
			c.columns[name][col] = typ
			c.order[name] = append(c.order[name], col)
		}
		rows.Close()
	}
	return c, nil
}

// Close closes the database.
func (c *CaseDB) Close() error { return c.db.Close() }

// Run loads the case's rows, runs the detection with the case's window and
// params, and compares its findings with Want. It returns the findings and
// a descriptive error on any mismatch.
func (c *CaseDB) Run(ctx context.Context, d *Detection, tc Case) ([]*Finding, error) {
	for name := range c.columns {
		if _, err := c.db.ExecContext(ctx, "DELETE FROM "+name); err != nil {
			return nil, err
		}
	}
	tables := make([]string, 0, len(tc.Rows))
	for t := range tc.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		if err := c.insert(ctx, t, tc.Rows[t]); err != nil {
			return nil, err
		}
	}
	ws, we := DefaultCaseWindow[0], DefaultCaseWindow[1]
	if len(tc.Window) == 2 {
		var err error
		if ws, err = time.Parse(time.RFC3339, tc.Window[0]); err != nil {
			return nil, fmt.Errorf("window: %w", err)
		}
		if we, err = time.Parse(time.RFC3339, tc.Window[1]); err != nil {
			return nil, fmt.Errorf("window: %w", err)
		}
	}
	over := map[string]string{}
	for k, v := range tc.Params {
		if _, ok := d.Param(k); !ok {
			return nil, fmt.Errorf("params: %s has no parameter %q", d.ID, k)
		}
		over[k] = fmt.Sprint(v)
	}
	hasData, err := sourcesWithData(ctx, c.db, []*Detection{d}, ws, we)
	if err != nil {
		return nil, err
	}
	r := evaluateOne(ctx, c.db, d, ws, we, over, hasData, time.Minute, time.Now)
	if r.Status == StatusError {
		return nil, fmt.Errorf("detection failed: %s", r.Error)
	}
	sortFindings(r.Findings)
	return r.Findings, MatchFindings(r.Findings, tc.Want)
}

func (c *CaseDB) insert(ctx context.Context, table string, rows []map[string]any) error {
	types, ok := c.columns[table]
	if !ok {
		known := make([]string, 0, len(c.columns))
		for t := range c.columns {
			known = append(known, t)
		}
		sort.Strings(known)
		return fmt.Errorf("rows: unknown table %q (known: %s)", table, strings.Join(known, ", "))
	}
	for i, row := range rows {
		var cols, exprs []string
		var args []any
		for _, col := range c.order[table] {
			v, ok := row[col]
			if !ok {
				continue
			}
			typ := types[col]
			arg, expr, err := caseValue(v, typ)
			if err != nil {
				return fmt.Errorf("rows: %s[%d].%s: %w", table, i, col, err)
			}
			cols = append(cols, col)
			exprs = append(exprs, expr)
			args = append(args, arg)
		}
		for col := range row {
			if _, ok := types[col]; !ok {
				return fmt.Errorf("rows: %s[%d]: unknown column %q", table, i, col)
			}
		}
		if len(cols) == 0 {
			return fmt.Errorf("rows: %s[%d]: empty row", table, i)
		}
		stmt := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.Join(exprs, ", "))
		if _, err := c.db.ExecContext(ctx, stmt, args...); err != nil {
			return fmt.Errorf("rows: %s[%d]: %w", table, i, err)
		}
	}
	return nil
}

// caseValue converts a YAML value for a column of DuckDB type typ into a
// bound argument and the expression that casts it.
func caseValue(v any, typ string) (any, string, error) {
	if v == nil {
		return nil, "NULL", nil
	}
	switch {
	case typ == "JSON":
		if s, ok := v.(string); ok && json.Valid([]byte(s)) && (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) {
			return s, "CAST(? AS JSON)", nil
		}
		b, err := json.Marshal(jsonable(v))
		if err != nil {
			return nil, "", err
		}
		return string(b), "CAST(? AS JSON)", nil
	case strings.HasSuffix(typ, "[]"):
		if _, ok := v.([]any); !ok {
			return nil, "", fmt.Errorf("want a list for %s", typ)
		}
		b, err := json.Marshal(jsonable(v))
		if err != nil {
			return nil, "", err
		}
		return string(b), fmt.Sprintf("CAST(CAST(? AS JSON) AS %s)", typ), nil
	}
	switch x := v.(type) {
	case map[string]any, []any:
		return nil, "", fmt.Errorf("a %T for a %s column", v, typ)
	case time.Time:
		return x, fmt.Sprintf("CAST(? AS %s)", typ), nil
	}
	return v, fmt.Sprintf("CAST(? AS %s)", typ), nil
}

// jsonable turns YAML values (which may hold time.Time and
// map[any]any) into values encoding/json writes as the YAML reads.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// MatchFindings checks that every want item matches a distinct finding on
// its fields and that there are exactly len(want) findings.
func MatchFindings(got []*Finding, want []map[string]any) error {
	for i, w := range want {
		for k := range w {
			if !slices.Contains(wantFields, k) {
				return fmt.Errorf("want[%d]: unknown field %q (known: %s)", i, k, strings.Join(wantFields, ", "))
			}
		}
	}
	used := make([]bool, len(got))
	var assign func(i int) bool
	assign = func(i int) bool {
		if i == len(want) {
			return true
		}
		for j, f := range got {
			if !used[j] && matchOne(f, want[i]) == nil {
				used[j] = true
				if assign(i + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	if len(got) == len(want) && assign(0) {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "got %d findings, want %d", len(got), len(want))
	for i, w := range want {
		best := ""
		for _, f := range got {
			if err := matchOne(f, w); err == nil {
				best = ""
				break
			} else if best == "" {
				best = err.Error()
			}
		}
		if best != "" || len(got) == 0 {
			fmt.Fprintf(&b, "\n  want[%d] %s matches no finding", i, compact(w))
			if best != "" {
				fmt.Fprintf(&b, " (first finding: %s)", best)
			}
		}
	}
	for _, f := range got {
		fmt.Fprintf(&b, "\n  got: %s", f.summary())
	}
	return errors.New(b.String())
}

var wantFields = []string{"detection", "finding_id", "severity", "account_id", "region", "principal", "resource", "first_seen", "last_seen", "count", "event_ids", "source_objects", "details"}

func compact(v any) string {
	b, _ := json.Marshal(jsonable(v))
	return string(b)
}

func (f *Finding) summary() string {
	m := map[string]any{
		"account_id": f.AccountID, "region": f.Region, "principal": f.Principal, "resource": f.Resource,
		"first_seen": f.FirstSeen.Format(time.RFC3339), "last_seen": f.LastSeen.Format(time.RFC3339),
		"count": f.Count, "event_ids": f.EventIDs, "source_objects": f.SourceObjects, "details": json.RawMessage(f.Details),
	}
	if len(f.Details) == 0 {
		m["details"] = nil
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func matchOne(f *Finding, w map[string]any) error {
	for _, k := range wantFields {
		wv, ok := w[k]
		if !ok {
			continue
		}
		var err error
		switch k {
		case "detection":
			err = eqString(k, f.DetectionID, wv)
		case "finding_id":
			err = eqString(k, f.FindingID, wv)
		case "severity":
			err = eqString(k, f.Severity, wv)
		case "account_id":
			err = eqString(k, f.AccountID, wv)
		case "region":
			err = eqString(k, f.Region, wv)
		case "principal":
			err = eqString(k, f.Principal, wv)
		case "resource":
			err = eqString(k, f.Resource, wv)
		case "first_seen":
			err = eqTime(k, f.FirstSeen, wv)
		case "last_seen":
			err = eqTime(k, f.LastSeen, wv)
		case "count":
			if fmt.Sprint(wv) != fmt.Sprint(f.Count) {
				err = fmt.Errorf("count %d, want %v", f.Count, wv)
			}
		case "event_ids":
			err = eqList(k, f.EventIDs, wv)
		case "source_objects":
			err = eqList(k, f.SourceObjects, wv)
		case "details":
			var got any
			if len(f.Details) > 0 {
				if e := json.Unmarshal(f.Details, &got); e != nil {
					return fmt.Errorf("details: %v", e)
				}
			}
			var want any
			b, _ := json.Marshal(jsonable(wv))
			json.Unmarshal(b, &want)
			err = subset("details", got, want)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func eqString(k, got string, want any) error {
	w := ""
	if want != nil {
		w = fmt.Sprint(want)
	}
	if got != w {
		return fmt.Errorf("%s %q, want %q", k, got, w)
	}
	return nil
}

func eqTime(k string, got time.Time, want any) error {
	var w time.Time
	switch x := want.(type) {
	case time.Time:
		w = x
	case string:
		var err error
		if w, err = time.Parse(time.RFC3339Nano, x); err != nil {
			return fmt.Errorf("%s: want %q is not RFC 3339", k, x)
		}
	case nil:
	default:
		return fmt.Errorf("%s: want %v is not a time", k, want)
	}
	if !got.Equal(w) {
		return fmt.Errorf("%s %s, want %s", k, got.Format(time.RFC3339Nano), w.Format(time.RFC3339Nano))
	}
	return nil
}

func eqList(k string, got []string, want any) error {
	l, ok := want.([]any)
	if !ok && want != nil {
		return fmt.Errorf("%s: want a list", k)
	}
	w := make([]string, 0, len(l))
	for _, e := range l {
		w = append(w, fmt.Sprint(e))
	}
	slices.Sort(w)
	if !slices.Equal(got, w) {
		return fmt.Errorf("%s %v, want %v", k, got, w)
	}
	return nil
}

// subset reports whether want is contained in got: maps key by key, lists
// element by element (same length), recursively; scalars by equality.
func subset(at string, got, want any) error {
	if wm, ok := want.(map[string]any); ok {
		gm, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %s, want an object", at, compact(got))
		}
		keys := make([]string, 0, len(wm))
		for k := range wm {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := gm[k]
			if !ok {
				return fmt.Errorf("%s.%s missing", at, k)
			}
			if err := subset(at+"."+k, gv, wm[k]); err != nil {
				return err
			}
		}
		return nil
	}
	if wl, ok := want.([]any); ok {
		gl, ok := got.([]any)
		if !ok || len(gl) != len(wl) {
			return fmt.Errorf("%s: %s, want %s", at, compact(got), compact(want))
		}
		for i := range wl {
			if err := subset(fmt.Sprintf("%s[%d]", at, i), gl[i], wl[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%s: %s, want %s", at, compact(got), compact(want))
	}
	return nil
}

// CaseResult is the outcome of one case (or, with Case empty, of a
// detection's case file as a whole).
type CaseResult struct {
	Pack, Detection, Case string
	Err                   error
}

// RunCases runs the cases of the given detections (all of the catalog's
// when nil), calling fn for each result; it returns how many failed.
func RunCases(ctx context.Context, c *Catalog, dets []*Detection, fn func(CaseResult)) (int, error) {
	if dets == nil {
		dets = c.Detections
	}
	db, err := NewCaseDB(ctx)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	tables := sourceTables()
	failed := 0
	report := func(r CaseResult) {
		if r.Err != nil {
			failed++
		}
		fn(r)
	}
	for _, d := range dets {
		cases, err := LoadCases(d)
		if err == nil {
			if missing := missingSources(d, tables); len(missing) > 0 {
				err = fmt.Errorf("%s: %w", strings.Join(missing, ", "), ErrSourceMissing)
			}
		}
		if err != nil {
			report(CaseResult{Pack: d.Pack.Name, Detection: d.ID, Err: err})
			continue
		}
		if err := CheckCaseCoverage(cases); err != nil {
			report(CaseResult{Pack: d.Pack.Name, Detection: d.ID, Err: err})
		}
		for _, tc := range cases {
			_, err := db.Run(ctx, d, tc)
			report(CaseResult{Pack: d.Pack.Name, Detection: d.ID, Case: tc.Name, Err: err})
		}
	}
	return failed, ctx.Err()
}
