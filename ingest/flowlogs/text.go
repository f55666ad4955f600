package flowlogs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/auditlake/auditlake/ingest/source"
)

// The text decoder is the hot path of the largest source: a busy account
// writes billions of ~100-byte records. A line is read in place from a
// bufio.Reader (ReadSlice: no copy, no allocation), split on spaces into
// sub-slices of the line, and integers are parsed from the bytes by hand:
// strconv.ParseInt wants a string, and converting each field to one would
// allocate per field (or need unsafe), for signs, bases and digit
// separators a flow log never has.

// maxLine bounds a line: a record of every field AWS defines is under 2 KiB,
// so a longer "line" means the object is not text at all.
const maxLine = 1 << 20

func (d *decoder) decodeText(ctx context.Context, obj source.Object, body io.Reader, emit func(arrow.RecordBatch) error) (source.Stats, error) {
	var st source.Stats
	d.br.Reset(body)
	if magic, _ := d.br.Peek(4); bytes.Equal(magic, parquetMagic) {
		return st, fmt.Errorf("%w as text: a Parquet object, and the body is not seekable (the loader spools Parquet objects to a file)", ErrNotFlowLog)
	}
	var (
		cur      *format // the header in force; nil before one is seen
		headless bool    // no header: each line's format comes from its field count
		content  bool    // a header or record has been seen
	)
	for lineNo := 1; ; lineNo++ {
		if lineNo&4095 == 0 && ctx.Err() != nil {
			return st, ctx.Err()
		}
		line, rerr := d.readLine()
		if rerr != nil && rerr != io.EOF {
			if errors.Is(rerr, errLongLine) {
				return st, fmt.Errorf("%w: line %d is longer than %d bytes", ErrNotFlowLog, lineNo, maxLine)
			}
			return st, rerr
		}
		if len(line) == 0 && rerr == io.EOF {
			break
		}
		d.split(line)
		if len(d.toks) > 0 {
			first := !content
			content = true
			switch {
			case isHeader(d.toks):
				if cur != nil && sameFields(cur, d.toks) {
					headless = false // the header repeated (concatenated files), or naming the default format in use
					break
				}
				names := make([]string, len(d.toks))
				for i, t := range d.toks {
					names[i] = string(t)
				}
				f, err := bind(fmt.Sprintf("the header on line %d", lineNo), names)
				if err != nil {
					return st, err
				}
				// Rows so far had the previous format's columns.
				d.pad()
				cur, headless = f, false
			case first:
				if d.defaults[len(d.toks)] == nil {
					return st, fmt.Errorf("%w: the first line is not a flow log header, and no default format has %d fields: %s", ErrNotFlowLog, len(d.toks), quote(line))
				}
				headless = true
				fallthrough
			default:
				f := cur
				if headless {
					if f = d.defaults[len(d.toks)]; f == nil {
						st.Skip(fmt.Sprintf("line %d: %d fields, and no header: no default format has %d fields", lineNo, len(d.toks), len(d.toks)))
						break
					}
					if f != cur {
						d.pad()
						cur = f
					}
				}
				if len(d.toks) != len(f.binds) {
					st.Skip(fmt.Sprintf("line %d: %d fields, %s has %d (truncated or garbled line?)", lineNo, len(d.toks), f.label, len(f.binds)))
					break
				}
				if msg := d.parseRecord(f); msg != "" {
					if first {
						return st, fmt.Errorf("%w: the first line is not a flow log header, nor a record in %s: %s", ErrNotFlowLog, f.label, msg)
					}
					st.Skip(fmt.Sprintf("line %d: %s", lineNo, msg))
					break
				}
				d.appendRow(f)
				if d.batchFull() {
					if err := d.flush(obj, &st, emit); err != nil {
						return st, err
					}
				}
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	if !content {
		return st, errEmpty
	}
	return st, d.flush(obj, &st, emit)
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
		// DuckDB rejects invalid UTF-8; one bad byte must not lose a record.
		d.fixed = append(d.fixed[:0], bytes.ToValidUTF8(line, []byte("\uFFFD"))...)
		line = d.fixed
	}
	return line, err
}

// split cuts a line into fields at runs of spaces and tabs: AWS separates
// fields with one space, but documented records carry a double space and a
// trailing blank must not make an empty field. A UTF-8 byte order mark
// before a header is dropped.
func (d *decoder) split(line []byte) {
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	d.toks = d.toks[:0]
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		start := i
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		if i > start {
			d.toks = append(d.toks, line[start:i])
		}
	}
}

// isHeader reports whether fields are a header line: every one spelled like
// a field name ("log-status", lower case) and at least one a field we know.
// Records never qualify: their values hold digits with dots, upper case
// (ACCEPT, OK, IPv4) or "-", and IDs such as "eni-0a1b" are not field names.
func isHeader(toks [][]byte) bool {
	if len(toks) == 0 || toks[0][0] < 'a' || toks[0][0] > 'z' {
		return false
	}
	known := false
	for _, t := range toks {
		if !isName(t) {
			return false
		}
		known = known || lookup(t) >= 0
	}
	return known
}

func isName(t []byte) bool {
	if len(t) == 0 || t[0] < 'a' || t[0] > 'z' {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func sameFields(f *format, toks [][]byte) bool {
	if len(f.binds) != len(toks) {
		return false
	}
	for i, t := range toks {
		if f.binds[i].name != string(t) {
			return false
		}
	}
	return true
}

// parseRecord reads the fields of one line into d.cells. It returns why the
// record is unusable, or "".
func (d *decoder) parseRecord(f *format) string {
	if cap(d.cells) < len(f.binds) {
		d.cells = make([]cell, len(f.binds))
	}
	d.cells = d.cells[:len(f.binds)]
	if f.unknown {
		d.resetExtra()
	}
	for p, t := range d.toks {
		b := &f.binds[p]
		c := &d.cells[p]
		if len(t) == 1 && t[0] == '-' {
			c.null = true
			continue
		}
		c.null = false
		if b.col < 0 {
			d.addExtra(b, t)
			continue
		}
		switch b.kind {
		case kString:
			c.b = t
		case kInt32:
			v, ok := parseUint(t)
			if !ok || v > 1<<31-1 {
				return fmt.Sprintf("%s is %s, not a number up to 2^31", b.name, quote(t))
			}
			c.i = v
		case kInt64:
			v, ok := parseUint(t)
			if !ok {
				return fmt.Sprintf("%s is %s, not a number", b.name, quote(t))
			}
			c.i = v
		case kEpoch:
			v, ok := parseUint(t)
			if !ok || v >= maxEpoch {
				return fmt.Sprintf("%s is %s, not a time in Unix seconds", b.name, quote(t))
			}
			c.i = v * 1e6
		}
	}
	return ""
}

// maxEpoch is 10000-01-01 in Unix seconds: later "times" are not times.
const maxEpoch = 253402300800

// parseUint parses a non-negative decimal of up to 18 digits (no sign, no
// overflow possible: 10^18 < 2^63).
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		c -= '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c)
	}
	return n, true
}
