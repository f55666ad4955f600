package queries

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed packs controls
var embedded embed.FS

// Severities in decreasing order of urgency.
var Severities = []string{"critical", "high", "medium", "low", "info"}

// SeverityRank orders severities: 0 for critical, 4 for info, 5 if unknown.
func SeverityRank(s string) int {
	if i := slices.Index(Severities, s); i >= 0 {
		return i
	}
	return len(Severities)
}

// Sources are the tables a detection may read (contract: the four log
// tables). Views and macros over them count as the table they read.
var Sources = []string{"cloudtrail", "config_items", "credential_report", "vpc_flow"}

// asOfSources are evaluated as of the window end rather than within it.
var asOfSources = map[string]bool{"credential_report": true, "config_items": true}

// Frameworks are the control catalogues, in the order they are shown.
var Frameworks = []string{"soc2", "iso27001", "cis_aws_v3"}

// Responsibilities are the shared-responsibility areas a control belongs to.
var Responsibilities = []string{"identity_access", "root_account", "credential_rotation", "network_rules", "encryption", "configuration_patching", "logging_monitoring"}

// Catalog is every loaded pack, detection and control.
type Catalog struct {
	Packs      []*Pack
	Detections []*Detection // in pack order, then by id
	// Controls maps a framework to its controls, in catalogue order.
	Controls map[string][]Control

	byID    map[string]*Detection
	control map[string]map[string]*Control
}

// Pack is one directory of detections.
type Pack struct {
	Name        string `yaml:"name"`
	Title       string `yaml:"title"`
	Version     string `yaml:"version"`
	Description string `yaml:"description"`
	// Origin is "embedded" or the directory the pack was loaded from.
	Origin string `yaml:"-"`
	// Path is the pack's directory for messages (queries/packs/<name> for
	// embedded packs).
	Path       string       `yaml:"-"`
	Detections []*Detection `yaml:"-"`

	fsys fs.FS
	dir  string
}

// Control is one entry of a control catalogue.
type Control struct {
	Framework      string `yaml:"-"`
	ID             string `yaml:"id"`
	Title          string `yaml:"title"`
	Summary        string `yaml:"summary"`
	Responsibility string `yaml:"responsibility"`
}

// Param is a detection parameter.
type Param struct {
	Name        string
	Default     any // string, int, float64 or bool, as written in the header
	Description string
}

// Controls are the control ids a detection maps to, per framework.
type Controls struct {
	SOC2     []string `yaml:"soc2"`
	ISO27001 []string `yaml:"iso27001"`
	CISAWSv3 []string `yaml:"cis_aws_v3"`
}

// Get returns the ids for a framework name.
func (c Controls) Get(framework string) []string {
	switch framework {
	case "soc2":
		return c.SOC2
	case "iso27001":
		return c.ISO27001
	case "cis_aws_v3":
		return c.CISAWSv3
	}
	return nil
}

// Detection is one SQL file of a pack.
type Detection struct {
	ID          string
	Title       string
	Description string
	Severity    string
	Sources     []string
	Params      []Param // sorted by name
	Controls    Controls
	Why         string
	Remediation string
	// SQL is the query after the header, exactly as in the file.
	SQL  string
	Pack *Pack
	// File is the file's path for messages (pack origin and name).
	File string
	// uses are the $names the SQL reads.
	uses []string
}

// Param returns the named parameter.
func (d *Detection) Param(name string) (Param, bool) {
	for _, p := range d.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Detection returns a detection by id.
func (c *Catalog) Detection(id string) (*Detection, bool) {
	d, ok := c.byID[id]
	return d, ok
}

// Pack returns a pack by name.
func (c *Catalog) Pack(name string) (*Pack, bool) {
	for _, p := range c.Packs {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// Control returns a control by framework and id.
func (c *Catalog) Control(framework, id string) (*Control, bool) {
	ctl, ok := c.control[framework][id]
	return ctl, ok
}

// LoadError is a problem in a pack or catalogue file, at a line (0 when the
// problem concerns the whole file).
type LoadError struct {
	File string
	Line int
	Err  error
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }

func loadErr(file string, line int, format string, a ...any) error {
	return &LoadError{File: file, Line: line, Err: fmt.Errorf(format, a...)}
}

// Load loads the embedded control catalogues and packs, then the packs in
// each extra directory (a directory holding pack.yaml, or a directory of
// pack directories). Every problem found is returned, joined.
func Load(extraDirs ...string) (*Catalog, error) {
	c, err := loadControls(embedded, "controls")
	if err != nil {
		return nil, err
	}
	var errs []error
	errs = append(errs, c.loadPacks(embedded, "packs", "queries/packs", true)...)
	for _, dir := range extraDirs {
		errs = append(errs, c.LoadDir(dir))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadDir adds the packs of a directory to the catalog: dir itself when it
// holds pack.yaml, else each of its subdirectories that does.
func (c *Catalog) LoadDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("packs dir: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("packs dir %s: not a directory", dir)
	}
	fsys := os.DirFS(dir)
	if _, err := fs.Stat(fsys, "pack.yaml"); err == nil {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		_, errs := c.loadPack(os.DirFS(filepath.Dir(abs)), filepath.Base(abs), dir, false)
		return errors.Join(errs...)
	}
	return errors.Join(c.loadPacks(fsys, ".", dir, false)...)
}

func loadControls(fsys fs.FS, dir string) (*Catalog, error) {
	c := &Catalog{
		Controls: map[string][]Control{},
		byID:     map[string]*Detection{},
		control:  map[string]map[string]*Control{},
	}
	var errs []error
	for _, fw := range Frameworks {
		file := path.Join(dir, fw+".yaml")
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, err
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil, loadErr(file, 0, "%v", err)
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.SequenceNode {
			return nil, loadErr(file, 0, "want a list of controls")
		}
		c.control[fw] = map[string]*Control{}
		for _, n := range doc.Content[0].Content {
			var ctl Control
			if err := checkKeys(n, file, "id", "title", "summary", "responsibility"); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := n.Decode(&ctl); err != nil {
				errs = append(errs, loadErr(file, n.Line, "%v", err))
				continue
			}
			ctl.Framework = fw
			switch {
			case ctl.ID == "" || ctl.Title == "" || ctl.Summary == "":
				errs = append(errs, loadErr(file, n.Line, "control needs id, title and summary"))
			case !slices.Contains(Responsibilities, ctl.Responsibility):
				errs = append(errs, loadErr(file, n.Line, "control %s: responsibility %q is not one of %s", ctl.ID, ctl.Responsibility, strings.Join(Responsibilities, ", ")))
			case c.control[fw][ctl.ID] != nil:
				errs = append(errs, loadErr(file, n.Line, "control %s listed twice", ctl.ID))
			default:
				c.Controls[fw] = append(c.Controls[fw], ctl)
				c.control[fw][ctl.ID] = &c.Controls[fw][len(c.Controls[fw])-1]
			}
		}
		// Pointers into the slice moved while it grew: rebuild them.
		for i := range c.Controls[fw] {
			c.control[fw][c.Controls[fw][i].ID] = &c.Controls[fw][i]
		}
	}
	return c, errors.Join(errs...)
}

// checkKeys reports keys of a mapping node that are not in allowed.
func checkKeys(n *yaml.Node, file string, allowed ...string) error {
	if n.Kind != yaml.MappingNode {
		return loadErr(file, n.Line, "want a mapping")
	}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			return loadErr(file, k.Line, "unknown key %q (known: %s)", k.Value, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func (c *Catalog) loadPacks(fsys fs.FS, dir, origin string, builtin bool) []error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return []error{err}
	}
	var errs []error
	found := false
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := fs.Stat(fsys, path.Join(dir, e.Name(), "pack.yaml")); err != nil {
			continue
		}
		found = true
		_, perrs := c.loadPack(fsys, path.Join(dir, e.Name()), path.Join(origin, e.Name()), builtin)
		errs = append(errs, perrs...)
	}
	if !found && !builtin {
		errs = append(errs, fmt.Errorf("%s: no pack.yaml in it or in its subdirectories", origin))
	}
	return errs
}

func (c *Catalog) loadPack(fsys fs.FS, dir, origin string, builtin bool) (*Pack, []error) {
	file := path.Join(origin, "pack.yaml")
	b, err := fs.ReadFile(fsys, path.Join(dir, "pack.yaml"))
	if err != nil {
		return nil, []error{err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, []error{loadErr(file, 0, "%v", err)}
	}
	if len(doc.Content) == 0 {
		return nil, []error{loadErr(file, 0, "empty")}
	}
	if err := checkKeys(doc.Content[0], file, "name", "title", "version", "description"); err != nil {
		return nil, []error{err}
	}
	p := &Pack{Origin: "embedded", Path: origin, fsys: fsys, dir: dir}
	if !builtin {
		p.Origin = origin
	}
	if err := doc.Content[0].Decode(p); err != nil {
		return nil, []error{loadErr(file, 0, "%v", err)}
	}
	if p.Name == "" || p.Title == "" || p.Version == "" {
		return nil, []error{loadErr(file, 0, "pack needs name, title and version")}
	}
	if !semver.MatchString(p.Version) {
		return nil, []error{loadErr(file, 0, "version %q is not a semantic version (1.2.3)", p.Version)}
	}
	if _, dup := c.Pack(p.Name); dup {
		return nil, []error{loadErr(file, 0, "pack %s is already loaded", p.Name)}
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, []error{err}
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		src, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d, err := c.parseDetection(path.Join(origin, e.Name()), strings.TrimSuffix(e.Name(), ".sql"), string(src))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := c.byID[d.ID]; dup {
			errs = append(errs, loadErr(d.File, 1, "detection id %s is already defined in %s", d.ID, prev.File))
			continue
		}
		d.Pack = p
		p.Detections = append(p.Detections, d)
		c.byID[d.ID] = d
	}
	if len(errs) > 0 {
		return nil, errs
	}
	sort.Slice(p.Detections, func(i, j int) bool { return p.Detections[i].ID < p.Detections[j].ID })
	c.Packs = append(c.Packs, p)
	c.Detections = append(c.Detections, p.Detections...)
	return p, nil
}

var (
	semver  = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	idRe    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	paramRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// headerKeys are the keys a detection header may hold.
var headerKeys = []string{"id", "title", "description", "severity", "sources", "params", "controls", "why", "remediation"}

// builtinParams are bound by the runner for every detection.
var builtinParams = []string{"window_start", "window_end"}

func (c *Catalog) parseDetection(file, base, src string) (*Detection, error) {
	var header strings.Builder
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	offset := 0
	for sc.Scan() {
		line := sc.Text()
		if line != "--" && !strings.HasPrefix(line, "-- ") {
			break
		}
		lines++
		offset += len(line) + 1
		header.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "--"), " "))
		header.WriteByte('\n')
	}
	if lines == 0 {
		return nil, loadErr(file, 1, "no header: start the file with `-- id: %s` and the other header lines", base)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(header.String()), &doc); err != nil {
		return nil, loadErr(file, 0, "header: %v", err)
	}
	if len(doc.Content) == 0 {
		return nil, loadErr(file, 1, "empty header")
	}
	root := doc.Content[0]
	if err := checkKeys(root, file, headerKeys...); err != nil {
		return nil, err
	}
	lineOf := map[string]int{}
	var node = map[string]*yaml.Node{}
	for i := 0; i < len(root.Content); i += 2 {
		lineOf[root.Content[i].Value] = root.Content[i].Line
		node[root.Content[i].Value] = root.Content[i+1]
	}
	var h struct {
		ID          string                    `yaml:"id"`
		Title       string                    `yaml:"title"`
		Description string                    `yaml:"description"`
		Severity    string                    `yaml:"severity"`
		Sources     []string                  `yaml:"sources"`
		Params      map[string]map[string]any `yaml:"params"`
		Controls    Controls                  `yaml:"controls"`
		Why         string                    `yaml:"why"`
		Remediation string                    `yaml:"remediation"`
	}
	if err := root.Decode(&h); err != nil {
		return nil, loadErr(file, 0, "header: %v", err)
	}
	for _, k := range []string{"id", "title", "severity", "controls", "sources"} {
		if _, ok := lineOf[k]; !ok {
			return nil, loadErr(file, 1, "header has no %s", k)
		}
	}
	if h.ID != base {
		return nil, loadErr(file, lineOf["id"], "id %q differs from the file name %s.sql", h.ID, base)
	}
	if !idRe.MatchString(h.ID) {
		return nil, loadErr(file, lineOf["id"], "id %q: use lower-case letters, digits and _", h.ID)
	}
	if h.Title == "" {
		return nil, loadErr(file, lineOf["title"], "empty title")
	}
	if !slices.Contains(Severities, h.Severity) {
		return nil, loadErr(file, lineOf["severity"], "severity %q is not one of %s", h.Severity, strings.Join(Severities, ", "))
	}
	if len(h.Sources) == 0 {
		return nil, loadErr(file, lineOf["sources"], "no sources: list the tables the query reads")
	}
	for _, s := range h.Sources {
		if !slices.Contains(Sources, s) {
			return nil, loadErr(file, lineOf["sources"], "unknown source %q (known: %s)", s, strings.Join(Sources, ", "))
		}
	}
	if cn := node["controls"]; cn != nil {
		if err := checkKeys(cn, file, Frameworks...); err != nil {
			return nil, err
		}
	}
	n := 0
	for _, fw := range Frameworks {
		for _, id := range h.Controls.Get(fw) {
			n++
			if _, ok := c.Control(fw, id); !ok {
				return nil, loadErr(file, lineOf["controls"], "unknown %s control %q: add it to queries/controls/%s.yaml", fw, id, fw)
			}
		}
	}
	if n == 0 {
		return nil, loadErr(file, lineOf["controls"], "no controls: map the detection to at least one control")
	}
	d := &Detection{
		ID: h.ID, Title: h.Title, Description: strings.TrimSpace(h.Description), Severity: h.Severity,
		Sources: h.Sources, Controls: h.Controls, Why: strings.TrimSpace(h.Why), Remediation: strings.TrimSpace(h.Remediation),
		SQL: src[min(offset, len(src)):], File: file,
	}
	for name, spec := range h.Params {
		if !paramRe.MatchString(name) || slices.Contains(builtinParams, name) {
			return nil, loadErr(file, lineOf["params"], "param %q: use lower-case letters, digits and _, and not window_start/window_end", name)
		}
		for k := range spec {
			if k != "default" && k != "description" {
				return nil, loadErr(file, lineOf["params"], "param %s: unknown key %q (known: default, description)", name, k)
			}
		}
		if spec["default"] == nil {
			return nil, loadErr(file, lineOf["params"], "param %s has no default", name)
		}
		desc, _ := spec["description"].(string)
		d.Params = append(d.Params, Param{Name: name, Default: spec["default"], Description: desc})
	}
	sort.Slice(d.Params, func(i, j int) bool { return d.Params[i].Name < d.Params[j].Name })
	if strings.TrimSpace(stripSQL(d.SQL)) == "" {
		return nil, loadErr(file, lines+1, "no query after the header")
	}
	uses := paramUses(d.SQL)
	for _, u := range uses {
		if _, ok := d.Param(u.name); !ok && !slices.Contains(builtinParams, u.name) {
			return nil, loadErr(file, lines+u.line, "$%s is not a declared param (declare it under params:)", u.name)
		}
		if !slices.Contains(d.uses, u.name) {
			d.uses = append(d.uses, u.name)
		}
	}
	for _, p := range d.Params {
		if !slices.Contains(d.uses, p.Name) {
			return nil, loadErr(file, lineOf["params"], "param %s is declared but the query never uses $%s", p.Name, p.Name)
		}
	}
	return d, nil
}

type paramUse struct {
	name string
	line int // 1-based, within the query
}

// paramUses finds $name references outside string literals, quoted
// identifiers and comments. A positional $1 is reported as the name "1".
func paramUses(q string) []paramUse {
	var out []paramUse
	line := 1
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case ch == '\n':
			line++
		case ch == '\'' || ch == '"':
			for j := i + 1; j < len(q); j++ {
				if q[j] == '\n' {
					line++
				}
				if q[j] == ch {
					if j+1 < len(q) && q[j+1] == ch {
						j++
						continue
					}
					i = j
					break
				}
				if j == len(q)-1 {
					i = j
				}
			}
		case ch == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
			line++
		case ch == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				end = len(q) - i - 2
			}
			line += strings.Count(q[i:i+2+end], "\n")
			i += end + 3
		case ch == '$':
			j := i + 1
			for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z' || q[j] >= '0' && q[j] <= '9') {
				j++
			}
			if j > i+1 {
				out = append(out, paramUse{name: q[i+1 : j], line: line})
			}
			i = j - 1
		}
	}
	return out
}

// stripSQL removes comments, so that a file of comments is seen as empty.
func stripSQL(q string) string {
	var b strings.Builder
	for _, l := range strings.Split(q, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
