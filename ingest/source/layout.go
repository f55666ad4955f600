package source

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A Layout is an S3 key pattern such as
//
//	**/AWSLogs/{org?}/{account}/CloudTrail/{region}/{year}/{month}/{day}/{file}
//
// Segments are separated by "/". A segment is a literal, or text holding one
// or more placeholders: "{account}", "aws-region={region}", "{date}.csv".
// A placeholder segment ending in "?" ("{org?}", "{hour?}") may be absent.
// A leading "**" matches any number of segments (a trail's S3 key prefix).
// The last segment of a layout names the object; every other segment is a
// "directory" the loader can list with a delimiter and prune.
//
// Placeholders and what they accept:
//
//	org      o-[a-z0-9]+ (organisation trails)
//	account  any segment (published samples use 9 to 13 digits, or "redacted")
//	region   [a-z0-9-]+ (anonymised data invents regions; do not validate)
//	year     4 digits; month, day: 1 or 2 digits (Config does not zero-pad)
//	hour     2 digits
//	date     YYYY-MM-DD
//	any other name: any non-empty text without "/"
type Layout struct {
	Name    string // for messages and Classify, e.g. "cloudtrail"
	pattern string
	anyHead bool // leading "**"
	anyTail bool // trailing "**": one or more segments of any kind
	segs    []segment
	lits    []string // literal text every matching key contains
}

type segment struct {
	parts    []part // literal and placeholder pieces, in order
	optional bool
}

type part struct {
	lit  string // literal text, or "" for a placeholder
	name string // placeholder name
}

// MustLayout compiles a layout pattern and panics on a malformed one. Layouts
// are constants in the sources, so a bad one is a programming error caught by
// every test that loads the source.
func MustLayout(name, pattern string) *Layout {
	l, err := CompileLayout(name, pattern)
	if err != nil {
		panic(err)
	}
	return l
}

// CompileLayout compiles a layout pattern.
func CompileLayout(name, pattern string) (*Layout, error) {
	l := &Layout{Name: name, pattern: pattern}
	rest := pattern
	if r, ok := strings.CutPrefix(rest, "**/"); ok {
		l.anyHead, rest = true, r
	}
	if r, ok := strings.CutSuffix(rest, "/**"); ok {
		l.anyTail, rest = true, r
	}
	for _, s := range strings.Split(rest, "/") {
		seg, err := compileSegment(s)
		if err != nil {
			return nil, fmt.Errorf("layout %s %q: %w", name, pattern, err)
		}
		l.segs = append(l.segs, seg)
	}
	if len(l.segs) == 0 || l.segs[len(l.segs)-1].optional && !l.anyTail {
		return nil, fmt.Errorf("layout %s %q: must end in a required file segment", name, pattern)
	}
	for _, seg := range l.segs {
		for _, p := range seg.parts {
			if p.lit != "" {
				l.lits = append(l.lits, p.lit)
			}
		}
	}
	return l, nil
}

func compileSegment(s string) (segment, error) {
	var seg segment
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			seg.parts = append(seg.parts, part{lit: s})
			break
		}
		if i > 0 {
			seg.parts = append(seg.parts, part{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return seg, fmt.Errorf("unclosed { in %q", s)
		}
		name := s[i+1 : i+j]
		if n, ok := strings.CutSuffix(name, "?"); ok {
			if len(s) != j+1 || i != 0 {
				return seg, fmt.Errorf("optional placeholder {%s} must be a whole segment", name)
			}
			seg.optional, name = true, n
		}
		if name == "" {
			return seg, fmt.Errorf("empty placeholder in %q", s)
		}
		if len(seg.parts) > 0 && seg.parts[len(seg.parts)-1].lit == "" {
			return seg, fmt.Errorf("two placeholders side by side in %q", s)
		}
		seg.parts = append(seg.parts, part{name: name})
		s = s[i+j+1:]
	}
	return seg, nil
}

// String returns the pattern.
func (l *Layout) String() string { return l.pattern }

// LayoutMatch is a key matched by a layout.
type LayoutMatch struct {
	Layout *Layout
	Fields map[string]string // placeholder values; absent optionals are ""
}

// Partition builds the partition from the matched fields. Day is zero when
// the layout has no date or the date is not a real one.
func (m LayoutMatch) Partition() Partition {
	p := Partition{Org: m.Fields["org"], Account: m.Fields["account"], Region: m.Fields["region"]}
	if d := m.Fields["date"]; d != "" {
		if t, err := time.Parse(time.DateOnly, d); err == nil {
			p.Day = t
		}
	} else if y, mo, d := m.Fields["year"], m.Fields["month"], m.Fields["day"]; y != "" && mo != "" && d != "" {
		yi, _ := strconv.Atoi(y)
		mi, _ := strconv.Atoi(mo)
		di, _ := strconv.Atoi(d)
		t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
		if t.Year() == yi && int(t.Month()) == mi && t.Day() == di {
			p.Day = t
		}
	}
	return p
}

// Match matches a whole key.
func (l *Layout) Match(key string) (LayoutMatch, bool) {
	// Most keys are of another layout: reject them before splitting and
	// allocating (planning a million keys spent most of its time here).
	for _, lit := range l.lits {
		if !strings.Contains(key, lit) {
			return LayoutMatch{}, false
		}
	}
	keySegs := strings.Split(key, "/")
	fields := map[string]string{}
	if l.anyHead {
		for start := range keySegs {
			clear(fields)
			if l.matchFrom(keySegs[start:], 0, fields, false, nil) {
				return LayoutMatch{Layout: l, Fields: fields}, true
			}
		}
		return LayoutMatch{}, false
	}
	if l.matchFrom(keySegs, 0, fields, false, nil) {
		return LayoutMatch{Layout: l, Fields: fields}, true
	}
	return LayoutMatch{}, false
}

// matchFrom matches key segments against layout segments from si on. With
// partial set, running out of key segments before the layout ends is a match
// (the key is a directory prefix); check, when non-nil, vets every captured
// field as it is captured.
func (l *Layout) matchFrom(keySegs []string, si int, fields map[string]string, partial bool, check func(name, value string, fields map[string]string) bool) bool {
	if len(keySegs) == 0 {
		return partial || si == len(l.segs) && !l.anyTail
	}
	if si == len(l.segs) {
		// A trailing "**" takes the rest: one or more segments (for a
		// directory prefix, any number).
		return l.anyTail
	}
	seg := l.segs[si]
	// A directory prefix never reaches the file segment.
	if partial && si == len(l.segs)-1 && !l.anyTail {
		return false
	}
	if seg.optional {
		name := seg.parts[0].name
		if acceptField(name, keySegs[0]) && (check == nil || check(name, keySegs[0], fields)) {
			fields[name] = keySegs[0]
			if l.matchFrom(keySegs[1:], si+1, fields, partial, check) {
				return true
			}
			delete(fields, name)
		}
		return l.matchFrom(keySegs, si+1, fields, partial, check)
	}
	captured, ok := matchSegment(seg, keySegs[0])
	if !ok {
		return false
	}
	for name, v := range captured {
		if check != nil && !check(name, v, fields) {
			return false
		}
		fields[name] = v
	}
	if l.matchFrom(keySegs[1:], si+1, fields, partial, check) {
		return true
	}
	for name := range captured {
		delete(fields, name)
	}
	return false
}

// matchSegment matches one key segment against a compiled segment.
func matchSegment(seg segment, s string) (map[string]string, bool) {
	var out map[string]string
	for i, p := range seg.parts {
		if p.lit != "" {
			if !strings.HasPrefix(s, p.lit) {
				return nil, false
			}
			s = s[len(p.lit):]
			continue
		}
		// A placeholder runs to the next literal, or to the end.
		var v string
		if i+1 < len(seg.parts) {
			next := seg.parts[i+1].lit
			j := strings.LastIndex(s, next)
			if j < 0 {
				return nil, false
			}
			v, s = s[:j], s[j:]
		} else {
			v, s = s, ""
		}
		if !acceptField(p.name, v) {
			return nil, false
		}
		if out == nil {
			out = map[string]string{}
		}
		out[p.name] = v
	}
	return out, s == ""
}

func acceptField(name, v string) bool {
	if v == "" {
		return false
	}
	switch name {
	case "org":
		return strings.HasPrefix(v, "o-") && isAlnumLower(v[2:])
	case "region":
		for _, c := range v {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
		return true
	case "year":
		return len(v) == 4 && isDigits(v)
	case "month", "day":
		return len(v) <= 2 && isDigits(v)
	case "hour":
		return len(v) == 2 && isDigits(v)
	case "date":
		_, err := time.Parse(time.DateOnly, v)
		return err == nil
	case "account":
		return !strings.HasPrefix(v, "o-")
	}
	return true
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func isAlnumLower(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// Filter restricts which partitions a walk visits.
type Filter struct {
	Since, Until time.Time       // inclusive key dates (UTC midnight); zero means open
	Accounts     map[string]bool // nil means all
	Regions      map[string]bool // nil means all
}

// Empty reports whether the filter lets everything through.
func (f Filter) Empty() bool {
	return f.Since.IsZero() && f.Until.IsZero() && len(f.Accounts) == 0 && len(f.Regions) == 0
}

// Allows reports whether a partition passes the filter. Parts the partition
// does not know (no region in a credential report's key) pass.
func (f Filter) Allows(p Partition) bool {
	if len(f.Accounts) > 0 && p.Account != "" && !f.Accounts[p.Account] {
		return false
	}
	if len(f.Regions) > 0 && p.Region != "" && !f.Regions[p.Region] {
		return false
	}
	if !p.Day.IsZero() {
		if !f.Since.IsZero() && p.Day.Before(f.Since) {
			return false
		}
		if !f.Until.IsZero() && p.Day.After(f.Until) {
			return false
		}
	}
	return true
}

// Verdict is what a layout says about a directory prefix.
type Verdict int

const (
	Unknown Verdict = iota // the layout does not describe this directory
	Descend                // the layout may hold wanted objects below it
	Prune                  // the layout describes it, and nothing below passes the filter
)

// Dir judges a directory prefix (segments of a key prefix ending in "/",
// without the empty last one) against the filter.
func (l *Layout) Dir(dirSegs []string, f Filter) Verdict {
	check := func(name, v string, fields map[string]string) bool {
		switch name {
		case "account":
			return len(f.Accounts) == 0 || f.Accounts[v]
		case "region":
			return len(f.Regions) == 0 || f.Regions[v]
		case "year", "month", "day", "date":
			return dateMayPass(name, v, fields, f)
		}
		return true
	}
	try := func(segs []string) Verdict {
		fields := map[string]string{}
		if l.matchFrom(segs, 0, fields, true, check) {
			return Descend
		}
		// Does the layout describe the directory at all, filter aside?
		clear(fields)
		if l.matchFrom(segs, 0, fields, true, nil) {
			return Prune
		}
		return Unknown
	}
	if !l.anyHead {
		return try(dirSegs)
	}
	best := Unknown
	for start := range dirSegs {
		// Only anchor where the first layout segment can match, so that
		// "AWSLogs" anywhere in the prefix anchors the layout.
		if _, ok := matchSegment(l.segs[0], dirSegs[start]); !ok && !l.segs[0].optional {
			continue
		}
		switch try(dirSegs[start:]) {
		case Descend:
			return Descend
		case Prune:
			best = Prune
		}
	}
	return best
}

// dateMayPass reports whether any day under a partial date can pass the
// filter's date range.
func dateMayPass(name, v string, fields map[string]string, f Filter) bool {
	if f.Since.IsZero() && f.Until.IsZero() {
		return true
	}
	var lo, hi time.Time
	switch name {
	case "date":
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return true
		}
		lo, hi = t, t
	case "year":
		y, _ := strconv.Atoi(v)
		lo = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		hi = time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)
	case "month":
		y, _ := strconv.Atoi(fields["year"])
		m, _ := strconv.Atoi(v)
		if y == 0 {
			return true
		}
		lo = time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		hi = lo.AddDate(0, 1, -1)
	case "day":
		y, _ := strconv.Atoi(fields["year"])
		m, _ := strconv.Atoi(fields["month"])
		d, _ := strconv.Atoi(v)
		if y == 0 || m == 0 {
			return true
		}
		lo = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		hi = lo
	}
	if !f.Since.IsZero() && hi.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && lo.After(f.Until) {
		return false
	}
	return true
}

// Literals returns the layout's whole-segment literals ("AWSLogs",
// "CloudTrail", ...).
func (l *Layout) Literals() []string {
	var out []string
	for _, s := range l.segs {
		if len(s.parts) == 1 && s.parts[0].lit != "" {
			out = append(out, s.parts[0].lit)
		}
	}
	return out
}
