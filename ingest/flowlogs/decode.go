package flowlogs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/auditlake/auditlake/ingest/source"
)

// Both decoders (text.go, parquet.go) read a record into cells, one per
// field of the object's format, and only then append it: a record that
// turns out to be unusable halfway through is skipped without leaving the
// columns uneven. Columns the format does not have are not touched per
// record: they are filled with NULLs in one call when a batch is cut, so a
// default-format file (14 of the table's 60 columns) pays for 14.

const (
	batchRows  = 16384    // rows per emitted record batch
	batchBytes = 32 << 20 // or this many bytes of string data
)

var decoderPool = sync.Pool{New: func() any { return newDecoder() }}

// cell is one field of the record being read. Strings point into the
// input (the text line, the Parquet batch) until the record is appended.
type cell struct {
	null bool
	i    int64 // integers; for kEpoch, microseconds
	b    []byte
}

// binding ties a field of the object's format to a column.
type binding struct {
	col  int    // table column; -1: kept in extra (a field without a column, or unknown)
	kind kind   // for fields in extra: integers are written as JSON numbers
	name string // the field's name as the object spells it
	key  []byte // for unknown fields: `"name":`, ready for the extra object
}

// format is the field list of an object: its header line, a default format
// chosen by field count, or a Parquet file's columns.
type format struct {
	label   string // for messages: "the header", "the default (version 2) format"
	binds   []binding
	unknown bool // some fields go to extra
}

type decoder struct {
	rb   *array.RecordBuilder
	str  []*array.StringBuilder
	i32  []*array.Int32Builder
	i64  []*array.Int64Builder
	ts   []*array.TimestampBuilder
	full []int // values appended per column in this batch
	rows int

	data     int   // string bytes in this batch
	colBytes []int // string bytes per column in this batch
	lastData []int // ... and in the last full batch, to size the next

	cells []cell
	extra []byte // the extra object of the record being read
	arena []byte // text made for a record (Parquet integers in string columns)

	// text decoding
	br       *bufio.Reader
	toks     [][]byte
	long     []byte // a line longer than br's buffer
	fixed    []byte // a line with invalid UTF-8, repaired
	defaults map[int]*format
}

func newDecoder() *decoder {
	d := &decoder{
		str:      make([]*array.StringBuilder, numColumns),
		i32:      make([]*array.Int32Builder, numColumns),
		i64:      make([]*array.Int64Builder, numColumns),
		ts:       make([]*array.TimestampBuilder, numColumns),
		full:     make([]int, numColumns),
		colBytes: make([]int, numColumns),
		lastData: make([]int, numColumns),
		br:       bufio.NewReaderSize(nil, 64<<10),
		defaults: map[int]*format{},
	}
	for _, df := range defaultFormats {
		f, err := bind("the "+df.Name+" format", strings.Fields(df.Fields))
		if err != nil {
			panic(err) // a constant table: caught by every test
		}
		d.defaults[len(f.binds)] = f
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
		case *array.Int32Builder:
			d.i32[i] = b
		case *array.Int64Builder:
			d.i64[i] = b
		case *array.TimestampBuilder:
			d.ts[i] = b
		}
	}
	clear(d.full)
	clear(d.colBytes)
	d.rows, d.data = 0, 0
}

// bind builds a format from field names. A name given twice makes the
// object unusable: which of the two values is the field's?
func bind(label string, names []string) (*format, error) {
	f := &format{label: label, binds: make([]binding, len(names))}
	seen := map[string]bool{}
	for i, name := range names {
		canon := canonical(name)
		if seen[canon] {
			return nil, fmt.Errorf("%s names field %q twice", label, name)
		}
		seen[canon] = true
		b := binding{col: -1, name: name}
		if idx := lookup([]byte(canon)); idx >= 0 {
			b.col, b.kind = columnOf[idx], catalogue[idx].Kind
		}
		if b.col < 0 {
			f.unknown = true
			b.key = append(appendJSONString(nil, []byte(canon)), ':')
		}
		f.binds[i] = b
	}
	return f, nil
}

// canonical spells a field name the way text headers do: Parquet's
// "log_status" and a header's "log-status" are one field, and an unknown
// field gets one key in extra whichever format delivered it.
func canonical(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// Decode implements source.Source. A body that implements io.ReaderAt and
// source.Sizer and starts with the Parquet magic is read as Parquet; any
// other body as text.
func (s *Source) Decode(ctx context.Context, obj source.Object, body io.Reader, emit func(arrow.RecordBatch) error) (source.Stats, error) {
	d := decoderPool.Get().(*decoder)
	var st source.Stats
	var err error
	if ra, size, ok := parquetBody(body); ok {
		st, err = d.decodeParquet(ctx, obj, ra, size, emit)
	} else {
		st, err = d.decodeText(ctx, obj, body, emit)
	}
	d.br.Reset(nil)
	if err != nil || d.rows > 0 {
		// Throw away half-built rows; the builder is reused.
		d.rb.Release()
		d.newBuilder()
	}
	if cap(d.long) > 1<<20 {
		d.long = nil
	}
	decoderPool.Put(d)
	return st, err
}

// appendRow moves the cells of a record into the builders.
func (d *decoder) appendRow(f *format) {
	for p := range f.binds {
		b := &f.binds[p]
		if b.col < 0 {
			continue
		}
		c := &d.cells[p]
		switch b.kind {
		case kString:
			if c.null {
				d.str[b.col].AppendNull()
			} else {
				d.str[b.col].BinaryBuilder.Append(c.b)
				d.data += len(c.b)
				d.colBytes[b.col] += len(c.b)
			}
		case kInt32:
			if c.null {
				d.i32[b.col].AppendNull()
			} else {
				d.i32[b.col].Append(int32(c.i))
			}
		case kInt64:
			if c.null {
				d.i64[b.col].AppendNull()
			} else {
				d.i64[b.col].Append(c.i)
			}
		case kEpoch:
			if c.null {
				d.ts[b.col].AppendNull()
			} else {
				d.ts[b.col].Append(arrow.Timestamp(c.i))
			}
		}
		d.full[b.col]++
	}
	if f.unknown {
		if len(d.extra) > 1 {
			d.extra = append(d.extra, '}')
			d.str[colExtra].BinaryBuilder.Append(d.extra)
			d.data += len(d.extra)
			d.colBytes[colExtra] += len(d.extra)
		} else {
			d.str[colExtra].AppendNull()
		}
		d.full[colExtra]++
	}
	d.rows++
}

// resetExtra starts the extra object of a record.
func (d *decoder) resetExtra() { d.extra = append(d.extra[:0], '{') }

// addExtra adds a field's value to the record's extra object: as a JSON
// number when the field is an integer and the value one, else as a string.
func (d *decoder) addExtra(b *binding, v []byte) {
	if len(d.extra) > 1 {
		d.extra = append(d.extra, ',')
	}
	d.extra = append(d.extra, b.key...)
	if _, ok := parseUint(v); ok && (b.kind == kInt32 || b.kind == kInt64) {
		d.extra = append(d.extra, v...)
		return
	}
	d.extra = appendJSONString(d.extra, v)
}

// pad brings every field column to the batch's row count with NULLs:
// columns the current format does not have.
func (d *decoder) pad() {
	for c := range colExtra + 1 {
		n := d.rows - d.full[c]
		if n == 0 {
			continue
		}
		d.rb.Field(c).AppendNulls(n)
		d.full[c] = d.rows
	}
}

// flush cuts a batch and emits it.
func (d *decoder) flush(obj source.Object, st *source.Stats, emit func(arrow.RecordBatch) error) error {
	if d.rows == 0 {
		return nil
	}
	d.pad()
	flowLogID := flowLogIDOf(obj.Key)
	for c, v := range map[int]string{colKeyAccount: obj.Partition.Account, colKeyRegion: obj.Partition.Region, colKeyFlowLogID: flowLogID} {
		b := d.str[c]
		if v == "" {
			b.AppendNulls(d.rows)
			continue
		}
		b.Reserve(d.rows)
		b.ReserveData(d.rows * len(v))
		for range d.rows {
			b.Append(v)
		}
	}
	rec := d.rb.NewRecordBatch()
	st.Rows += int64(d.rows)
	full := d.rows >= batchRows
	clear(d.full)
	if full {
		// More of a large object is likely to follow: size the builders
		// for a batch like this one instead of growing them by doubling.
		// Small objects (most of an archive) must not pay for that.
		copy(d.lastData, d.colBytes)
		d.rb.Reserve(batchRows)
		for c, n := range d.lastData {
			if d.str[c] != nil && n > 0 {
				d.str[c].ReserveData(n + n/8)
			}
		}
	}
	clear(d.colBytes)
	d.rows, d.data = 0, 0
	return emit(rec)
}

// batchFull reports whether the batch being built should be cut.
func (d *decoder) batchFull() bool { return d.rows >= batchRows || d.data >= batchBytes }

// flowLogIDOf finds the flow log ID in an AWS file name,
// <account>_vpcflowlogs_<region>_<fl-id>_<time>_<hash>.log.gz.
func flowLogIDOf(key string) string {
	for part := range strings.SplitSeq(path.Base(key), "_") {
		if strings.HasPrefix(part, "fl-") && len(part) > 3 {
			return part
		}
	}
	return ""
}

// appendJSONString appends v as a JSON string. v is valid UTF-8 (lines are
// repaired before they are split).
func appendJSONString(dst, v []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i, c := range v {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, v[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, v[start:]...)
	return append(dst, '"')
}

// ErrNotFlowLog is wrapped by the error for an object that is not a VPC
// flow log at all (rather than a flow log with bad records).
var ErrNotFlowLog = errors.New("not a VPC flow log")

var errEmpty = errors.New("empty object (no header and no records)")

// quote shows a piece of input in a message, shortened.
func quote(b []byte) string {
	const maxShown = 60
	if len(b) > maxShown {
		return fmt.Sprintf("%q...", b[:maxShown])
	}
	return fmt.Sprintf("%q", b)
}
