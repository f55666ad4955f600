package credreport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/auditlake/auditlake/ingest/source"
)

// A report is read line by line in place (bufio ReadSlice), split at commas
// into sub-slices of the line, and each record is parsed into a scratch row
// of cells before anything is appended: a record found unusable halfway is
// skipped without leaving the columns uneven. Reports are small (a row per
// IAM user), but an organisation has many accounts and years of them.

const batchRows = 16384

// maxLine bounds a line: a report row is a few hundred bytes.
const maxLine = 1 << 20

// ErrNotCredentialReport is wrapped by the error for an object that is not
// an IAM credential report at all.
var ErrNotCredentialReport = errors.New("not an IAM credential report")

var errEmpty = errors.New("empty object (no header and no rows)")

// requiredFields are the 16 columns of the oldest report format; the
// current one adds access_key_N_last_used_{date,region,service}.
var requiredFields = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
	"access_key_2_active", "access_key_2_last_rotated", "cert_1_active", "cert_1_last_rotated",
	"cert_2_active", "cert_2_last_rotated",
}

// fieldColumns maps a CSV field name to the columns it fills (a typed
// column and its *_raw twin).
var fieldColumns = func() map[string][]int {
	m := map[string][]int{}
	for i, c := range columns {
		if c.field != "" {
			m[c.field] = append(m[c.field], i)
		}
	}
	return m
}()

// cell is one column of the record being read. b points into the line
// until the record is appended.
type cell struct {
	null bool
	b    []byte
	v    bool  // kBool
	t    int64 // kTime, microseconds
}

type decoder struct {
	rb   *array.RecordBuilder
	str  []*array.StringBuilder
	bl   []*array.BooleanBuilder
	ts   []*array.TimestampBuilder
	rows int

	cells  []cell
	fields [][]byte
	binds  [][]int // per header field: the columns it fills
	arena  []byte  // unquoted field text of the current line
	header []byte  // the header line, to recognise it repeated

	br    *bufio.Reader
	long  []byte
	fixed []byte
}

var decoderPool = sync.Pool{New: func() any { return newDecoder() }}

func newDecoder() *decoder {
	d := &decoder{
		str:   make([]*array.StringBuilder, numColumns),
		bl:    make([]*array.BooleanBuilder, numColumns),
		ts:    make([]*array.TimestampBuilder, numColumns),
		cells: make([]cell, numColumns),
		br:    bufio.NewReaderSize(nil, 64<<10),
	}
	d.newBuilder()
	return d
}

func (d *decoder) newBuilder() {
	d.rb = array.NewRecordBuilder(memory.DefaultAllocator, table.Schema())
	for i := range numColumns {
		switch b := d.rb.Field(i).(type) {
		case *array.StringBuilder:
			d.str[i] = b
		case *array.BooleanBuilder:
			d.bl[i] = b
		case *array.TimestampBuilder:
			d.ts[i] = b
		}
	}
	d.rows = 0
}

// report is what an object says about itself as a whole.
type report struct {
	keyAccount string // from the key's layout
	account    string // from the first ARN naming one
	generated  time.Time
	genSource  string
	comment    time.Time // from a "# generated_at:" line
}

// Decode implements source.Source.
func (s *Source) Decode(ctx context.Context, obj source.Object, body io.Reader, emit func(arrow.RecordBatch) error) (source.Stats, error) {
	d := decoderPool.Get().(*decoder)
	st, err := d.decode(ctx, obj, body, emit)
	d.br.Reset(nil)
	if err != nil || d.rows > 0 {
		d.rb.Release()
		d.newBuilder()
	}
	if cap(d.long) > 1<<20 {
		d.long = nil
	}
	decoderPool.Put(d)
	return st, err
}

func (d *decoder) decode(ctx context.Context, obj source.Object, body io.Reader, emit func(arrow.RecordBatch) error) (source.Stats, error) {
	var st source.Stats
	rep := report{keyAccount: obj.Partition.Account}
	d.br.Reset(body)
	d.binds = d.binds[:0]
	d.header = d.header[:0]
	headerSeen := false
	for lineNo := 1; ; lineNo++ {
		if lineNo&1023 == 0 && ctx.Err() != nil {
			return st, ctx.Err()
		}
		line, rerr := d.readLine()
		if rerr != nil && rerr != io.EOF {
			if errors.Is(rerr, errLongLine) {
				return st, fmt.Errorf("%w: line %d is longer than %d bytes", ErrNotCredentialReport, lineNo, maxLine)
			}
			return st, rerr
		}
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, bom)
		}
		switch {
		case len(bytes.TrimSpace(line)) == 0:
		case line[0] == '#':
			// IAM user names cannot start with "#": a comment, which may
			// say when the report was generated.
			if !headerSeen {
				if err := rep.readComment(line); err != nil {
					return st, fmt.Errorf("line %d: %w", lineNo, err)
				}
			}
		case !headerSeen:
			if err := d.bindHeader(line); err != nil {
				return st, err
			}
			headerSeen = true
			if err := rep.resolveTime(obj.Key); err != nil {
				return st, err
			}
		case bytes.Equal(line, d.header):
			// Reports concatenated into one file repeat the header.
		default:
			if msg := d.parseRecord(line, &rep); msg != "" {
				st.Skip(fmt.Sprintf("line %d: %s", lineNo, msg))
				break
			}
			d.appendRow()
			if d.rows >= batchRows {
				if err := d.flush(&rep, &st, emit); err != nil {
					return st, err
				}
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	if !headerSeen {
		return st, errEmpty
	}
	if err := d.flush(&rep, &st, emit); err != nil {
		return st, err
	}
	if acct := rep.accountID(); acct != "" {
		st.Partition = &source.Partition{Account: acct, Day: rep.generated.Truncate(24 * time.Hour)}
	}
	return st, nil
}

// bindHeader reads the header line and binds its fields to columns by name,
// so a report with the columns in another order, or with columns this
// version does not know (ignored), still loads.
func (d *decoder) bindHeader(line []byte) error {
	if err := d.split(line, maxHeaderFields); err != nil {
		return fmt.Errorf("%w: header: %v", ErrNotCredentialReport, err)
	}
	seen := map[string]bool{}
	for _, f := range d.fields {
		name := strings.ToLower(strings.TrimSpace(string(f)))
		if seen[name] {
			return fmt.Errorf("credential report header names %q twice", name)
		}
		seen[name] = true
		d.binds = append(d.binds, fieldColumns[name])
	}
	if len(d.fields) == 0 || !seen["user"] || !seen["arn"] {
		return fmt.Errorf("%w: the first line is not a credential report header (user,arn,user_creation_time,...): %s", ErrNotCredentialReport, quote(line))
	}
	var missing []string
	for _, name := range requiredFields {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("credential report header lacks %s: %s", strings.Join(missing, ", "), quote(line))
	}
	d.header = append(d.header, line...)
	return nil
}

var generatedComment = regexp.MustCompile(`^#\s*generated_at\s*[:=]\s*(\S+)\s*$`)

func (r *report) readComment(line []byte) error {
	m := generatedComment.FindSubmatch(line)
	if m == nil {
		return nil
	}
	t, ok := parseTime(m[1])
	if !ok {
		return fmt.Errorf("generated_at comment %s: not an ISO 8601 time", quote(m[1]))
	}
	r.comment = time.UnixMicro(t).UTC()
	return nil
}

var (
	keyTimeRE = regexp.MustCompile(`(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d{1,9})?Z`)
	keyDateRE = regexp.MustCompile(`(\d{4})-(\d{2})-(\d{2})`)
)

// resolveTime decides when the report was generated. A credential report
// does not say so itself (GetCredentialReport returns it beside the CSV),
// so the time comes from, in this order: a full UTC timestamp in the key
// (what `auditlake collect` writes), a "# generated_at:" comment before the
// header, or a date in the key, read as midnight UTC of that day. The last
// match in the key wins: the file name is more specific than a folder.
func (r *report) resolveTime(key string) error {
	if ms := keyTimeRE.FindAllStringSubmatch(key, -1); ms != nil {
		m := ms[len(ms)-1]
		if t, ok := dateOf(m[1], m[2], m[3], m[4], m[5], m[6]); ok {
			if m[7] != "" {
				ns, _ := strconv.Atoi((m[7][1:] + "000000000")[:9])
				t = t.Add(time.Duration(ns))
			}
			r.generated, r.genSource = t, "key"
			return nil
		}
	}
	if !r.comment.IsZero() {
		r.generated, r.genSource = r.comment, "comment"
		return nil
	}
	if ms := keyDateRE.FindAllStringSubmatch(key, -1); ms != nil {
		for i := len(ms) - 1; i >= 0; i-- {
			if t, ok := dateOf(ms[i][1], ms[i][2], ms[i][3], "00", "00", "00"); ok {
				r.generated, r.genSource = t, "key_date"
				return nil
			}
		}
	}
	return fmt.Errorf("no generation time for the credential report: the key %q has no date (YYYY-MM-DD or YYYY-MM-DDTHHMMSSZ) "+
		"and the file no \"# generated_at: <time>\" line; store reports as credential-reports/<account>/<YYYY-MM-DDTHHMMSSZ>.csv "+
		"(auditlake collect credential-report does)", path.Base(key))
}

func dateOf(y, mo, d, h, mi, s string) (time.Time, bool) {
	yi, _ := strconv.Atoi(y)
	moi, _ := strconv.Atoi(mo)
	di, _ := strconv.Atoi(d)
	hi, _ := strconv.Atoi(h)
	mii, _ := strconv.Atoi(mi)
	si, _ := strconv.Atoi(s)
	t := time.Date(yi, time.Month(moi), di, hi, mii, si, 0, time.UTC)
	ok := t.Year() == yi && int(t.Month()) == moi && t.Day() == di && t.Hour() == hi && t.Minute() == mii && t.Second() == si
	return t, ok
}

// accountID is the report's account: the users' ARNs say it, the key's
// folder is the fallback (a report of an account without users but root
// still has root's ARN, so the fallback is for damaged files).
func (r *report) accountID() string {
	if r.account != "" {
		return r.account
	}
	return r.keyAccount
}

// parseRecord reads one data line into d.cells. It returns why the record
// is unusable, or "".
func (d *decoder) parseRecord(line []byte, rep *report) string {
	if err := d.split(line, len(d.binds)+1); err != nil {
		return err.Error()
	}
	if len(d.fields) != len(d.binds) {
		return fmt.Sprintf("%d fields, the header has %d (truncated or garbled line?)", len(d.fields), len(d.binds))
	}
	for i := range d.cells {
		d.cells[i] = cell{null: true}
	}
	for fi, f := range d.fields {
		for _, ci := range d.binds[fi] {
			c := &d.cells[ci]
			col := &columns[ci]
			if len(f) == 0 {
				continue
			}
			switch col.kind {
			case kRaw:
				c.null, c.b = false, f
			case kString:
				if !isSentinel(f) {
					c.null, c.b = false, f
				}
			case kBool:
				switch {
				case asciiEqualFold(f, "true"):
					c.null, c.v = false, true
				case asciiEqualFold(f, "false"):
					c.null, c.v = false, false
				case !isSentinel(f):
					return fmt.Sprintf("%s is %s, not true, false or N/A", col.field, quote(f))
				}
			case kTime:
				if t, ok := parseTime(f); ok {
					c.null, c.t = false, t
				} else if !isSentinel(f) {
					return fmt.Sprintf("%s is %s, not a time, N/A, not_supported or no_information", col.field, quote(f))
				}
			}
		}
	}
	user, arn := &d.cells[colUser], &d.cells[colARN]
	if user.null {
		return "no user name"
	}
	root := string(user.b) == rootUser || bytes.HasSuffix(arn.b, []byte(":root"))
	if root {
		user.b = rootUserBytes // PowerShell's output spells it root_account
	}
	d.cells[colIsRoot] = cell{v: root}
	if acct := arnAccount(arn.b); acct != nil {
		switch {
		case rep.account == "":
			rep.account = string(acct)
		case string(acct) != rep.account:
			return fmt.Sprintf("the ARN %s is of another account than the report's (%s)", quote(arn.b), rep.account)
		}
	}
	return ""
}

const rootUser = "<root_account>"

var rootUserBytes = []byte(rootUser)

// arnAccount returns the account in arn:<partition>:iam::<account>:..., or
// nil.
func arnAccount(arn []byte) []byte {
	rest, ok := bytes.CutPrefix(arn, []byte("arn:"))
	if !ok {
		return nil
	}
	for range 3 { // partition, service, region
		i := bytes.IndexByte(rest, ':')
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
	}
	i := bytes.IndexByte(rest, ':')
	if i <= 0 {
		return nil
	}
	return rest[:i]
}

// isSentinel reports the words IAM writes where a value does not apply.
func isSentinel(b []byte) bool {
	switch string(b) {
	case "N/A", "not_supported", "no_information":
		return true
	}
	return false
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// appendRow moves the cells of a record into the builders. The report's
// own columns (account, generation time) are filled per batch in flush.
func (d *decoder) appendRow() {
	for i := colUser; i < numColumns; i++ {
		c := &d.cells[i]
		switch columns[i].kind {
		case kString, kRaw:
			if c.null {
				d.str[i].AppendNull()
			} else {
				d.str[i].BinaryBuilder.Append(c.b)
			}
		case kBool:
			if c.null {
				d.bl[i].AppendNull()
			} else {
				d.bl[i].Append(c.v)
			}
		case kTime:
			if c.null {
				d.ts[i].AppendNull()
			} else {
				d.ts[i].Append(arrow.Timestamp(c.t))
			}
		}
	}
	d.rows++
}

// flush fills the report's columns and emits the batch.
func (d *decoder) flush(rep *report, st *source.Stats, emit func(arrow.RecordBatch) error) error {
	if d.rows == 0 {
		return nil
	}
	acct := rep.accountID()
	if acct == "" {
		return errors.New("credential report: no account: no row has an ARN naming one, and the key has no credential-reports/<account>/ folder")
	}
	for c, v := range map[int]string{colAccount: acct, colGeneratedAtSource: rep.genSource} {
		b := d.str[c]
		b.Reserve(d.rows)
		b.ReserveData(d.rows * len(v))
		for range d.rows {
			b.Append(v)
		}
	}
	ts := d.ts[colGeneratedAt]
	ts.Reserve(d.rows)
	for range d.rows {
		ts.Append(arrow.Timestamp(rep.generated.UnixMicro()))
	}
	rec := d.rb.NewRecordBatch()
	st.Rows += int64(d.rows)
	d.rows = 0
	return emit(rec)
}

var errLongLine = errors.New("line too long")

// readLine returns the next line without its end of line (LF or CRLF). The
// slice is valid until the next call. At the end it returns the last line
// (which may lack an end of line) with io.EOF.
func (d *decoder) readLine() ([]byte, error) {
	line, err := d.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		d.long = append(d.long[:0], line...)
		for err == bufio.ErrBufferFull && len(d.long) <= maxLine {
			line, err = d.br.ReadSlice('\n')
			d.long = append(d.long, line...)
		}
		if len(d.long) > maxLine {
			return nil, errLongLine
		}
		line = d.long
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if !utf8.Valid(line) {
		// DuckDB rejects invalid UTF-8; one bad byte must not lose a user.
		d.fixed = append(d.fixed[:0], bytes.ToValidUTF8(line, []byte("\uFFFD"))...)
		line = d.fixed
	}
	return line, err
}

// split cuts a CSV line into d.fields. AWS never quotes (no value holds a
// comma), but a report that passed through a spreadsheet or another tool
// may: quoted fields ("a,b", "say ""hi""") are unquoted into d.arena.
// Fields do not span lines. It stops after max fields: a line with more is
// unusable whatever they hold, and splitting a megabyte of commas would cost
// for nothing.
func (d *decoder) split(line []byte, max int) error {
	d.fields = d.fields[:0]
	if bytes.IndexByte(line, '"') < 0 {
		for len(d.fields) < max {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				d.fields = append(d.fields, line)
				return nil
			}
			d.fields = append(d.fields, line[:i])
			line = line[i+1:]
		}
		return tooMany(max)
	}
	// Fields point into the arena, which must not move while they are
	// built: reserve the line's length first.
	if cap(d.arena) < len(line) {
		d.arena = make([]byte, 0, len(line))
	}
	d.arena = d.arena[:0]
	i := 0
	for {
		start := len(d.arena)
		if i < len(line) && line[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					return errors.New("a quoted field is not closed (fields cannot span lines)")
				}
				d.arena = append(d.arena, line[i:i+j]...)
				i += j + 1
				if i < len(line) && line[i] == '"' {
					d.arena = append(d.arena, '"')
					i++
					continue
				}
				break
			}
			if i < len(line) && line[i] != ',' {
				return fmt.Errorf("text after a closing quote: %s", quote(line[i:]))
			}
		} else {
			j := bytes.IndexByte(line[i:], ',')
			if j < 0 {
				j = len(line) - i
			}
			d.arena = append(d.arena, line[i:i+j]...)
			i += j
		}
		d.fields = append(d.fields, d.arena[start:len(d.arena):len(d.arena)])
		if i >= len(line) {
			return nil
		}
		if len(d.fields) == max {
			return tooMany(max)
		}
		i++ // the comma
		if i == len(line) {
			d.fields = append(d.fields, d.arena[len(d.arena):len(d.arena):len(d.arena)])
			return nil
		}
	}
}

func tooMany(max int) error { return fmt.Errorf("more than %d fields", max) }

// maxHeaderFields bounds a header: reports have 16 or 22 columns.
const maxHeaderFields = 256

// parseTime reads the ISO 8601 times IAM writes, 2014-10-15T16:31:25+00:00,
// and the variants other tools produce: a Z or +HHMM zone, fractional
// seconds, a space for the T. It returns Unix microseconds.
func parseTime(b []byte) (int64, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	h, ok4 := num(b[11:13])
	mi, ok5 := num(b[14:16])
	s, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	rest := b[19:]
	var frac int64
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		scale := int64(100000)
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			frac += int64(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return 0, false
		}
		rest = rest[i:]
	}
	var off int
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':',
		len(rest) == 5 && (rest[0] == '+' || rest[0] == '-'):
		oh, ok := num(rest[1:3])
		om, ok2 := num(rest[len(rest)-2:])
		if !ok || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off = oh*3600 + om*60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
	if t.Day() != d {
		return 0, false // 31 February
	}
	return (t.Unix()-int64(off))*1e6 + frac, true
}

// quote shows a piece of input in a message, shortened.
func quote(b []byte) string {
	const maxShown = 60
	if len(b) > maxShown {
		return fmt.Sprintf("%q...", b[:maxShown])
	}
	return fmt.Sprintf("%q", b)
}
