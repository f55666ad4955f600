package flowlogs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/auditlake/auditlake/ingest/source"
)

// Parquet flow logs carry the same fields as text ones, as columns named
// with "_" (account_id, log_status); AWS writes version, ports, protocol and
// tcp_flags as INT32, packets, bytes, start and end as INT64, the rest as
// strings. The decoder binds columns by name, so any order and any subset
// load, and converts what another writer may have chosen (INT64 ports,
// string numbers, a timestamp type for start) rather than failing on it.

var parquetMagic = []byte("PAR1")

// parquetBody reports whether body is a seekable Parquet object.
func parquetBody(body io.Reader) (io.ReaderAt, int64, bool) {
	ra, ok1 := body.(io.ReaderAt)
	sz, ok2 := body.(source.Sizer)
	if !ok1 || !ok2 || sz.Size() < 12 {
		return nil, 0, false
	}
	var magic [4]byte
	if _, err := ra.ReadAt(magic[:], 0); err != nil || !bytes.Equal(magic[:], parquetMagic) {
		return nil, 0, false
	}
	return ra, sz.Size(), true
}

func (d *decoder) decodeParquet(ctx context.Context, obj source.Object, ra io.ReaderAt, size int64, emit func(arrow.RecordBatch) error) (source.Stats, error) {
	var st source.Stats
	var pf *file.Reader
	err := safely(func() (err error) {
		pf, err = file.NewParquetReader(io.NewSectionReader(ra, 0, size))
		return err
	})
	if err != nil {
		return st, fmt.Errorf("parquet: %w", err)
	}
	defer pf.Close()
	var fr *pqarrow.FileReader
	err = safely(func() (err error) {
		fr, err = pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchRows}, memory.DefaultAllocator)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("parquet: %w", err)
	}
	schema, err := fr.Schema()
	if err != nil {
		return st, fmt.Errorf("parquet: %w", err)
	}
	names := make([]string, schema.NumFields())
	for i, fld := range schema.Fields() {
		names[i] = fld.Name
	}
	f, err := bind("the Parquet schema", names)
	if err != nil {
		return st, err
	}
	known := 0
	for i, b := range f.binds {
		if b.col < 0 {
			continue
		}
		known++
		if !convertible(schema.Field(i).Type, b.kind) {
			return st, fmt.Errorf("parquet: column %s is %s, which cannot hold %s", b.name, schema.Field(i).Type, kindName(b.kind))
		}
	}
	if known == 0 {
		return st, fmt.Errorf("%w: no Parquet column is a flow log field (columns: %v)", ErrNotFlowLog, names)
	}
	if pf.NumRows() == 0 {
		return st, nil
	}
	var rr pqarrow.RecordReader
	err = safely(func() (err error) {
		rr, err = fr.GetRecordReader(ctx, nil, nil)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("parquet: %w", err)
	}
	defer rr.Release()
	if cap(d.cells) < len(f.binds) {
		d.cells = make([]cell, len(f.binds))
	}
	d.cells = d.cells[:len(f.binds)]
	row := 0
	for {
		var more bool
		if err := safely(func() error { more = rr.Next(); return nil }); err != nil {
			return st, fmt.Errorf("parquet: row %d: %w", row+1, err)
		}
		if !more {
			break
		}
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		rec := rr.RecordBatch()
		cols := rec.Columns()
		for r := range int(rec.NumRows()) {
			row++
			if msg := d.parquetRow(f, cols, r); msg != "" {
				st.Skip(fmt.Sprintf("row %d: %s", row, msg))
				continue
			}
			d.appendRow(f)
			if d.batchFull() {
				if err := d.flush(obj, &st, emit); err != nil {
					return st, err
				}
			}
		}
	}
	if err := rr.Err(); err != nil && err != io.EOF {
		return st, fmt.Errorf("parquet: row %d: %w", row+1, err)
	}
	return st, d.flush(obj, &st, emit)
}

// safely runs a call into arrow-go's Parquet reader, which panics on some
// malformed files instead of returning an error (a nil data page header,
// found by FuzzParquet): a corrupt object fails, the process goes on.
func safely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed Parquet file (%v)", r)
		}
	}()
	return fn()
}

// parquetRow reads row r of a batch into d.cells.
func (d *decoder) parquetRow(f *format, cols []arrow.Array, r int) string {
	if f.unknown {
		d.resetExtra()
	}
	d.arena = d.arena[:0]
	for p := range f.binds {
		b := &f.binds[p]
		c := &d.cells[p]
		a := cols[p]
		if b.col < 0 {
			if a.IsValid(r) {
				d.extraValue(b, a, r)
			}
			continue
		}
		if msg := d.parquetCell(c, b.kind, a, r); msg != "" {
			return b.name + " " + msg
		}
	}
	return ""
}

// parquetCell converts one value to a column's kind.
func (d *decoder) parquetCell(c *cell, k kind, a arrow.Array, r int) string {
	c.null = a.IsNull(r)
	if c.null {
		return ""
	}
	if dict, ok := a.(*array.Dictionary); ok {
		return d.parquetCell(c, k, dict.Dictionary(), dict.GetValueIndex(r))
	}
	if s, ok := stringAt(a, r); ok {
		if len(s) == 1 && s[0] == '-' || len(s) == 0 && k != kString {
			c.null = true
			return ""
		}
		switch k {
		case kString:
			if !utf8.Valid(s) {
				start := len(d.arena)
				d.arena = append(d.arena, bytes.ToValidUTF8(s, []byte("\uFFFD"))...)
				s = d.arena[start:]
			}
			c.b = s
			return ""
		case kEpoch:
			v, ok := parseUint(s)
			if !ok || v >= maxEpoch {
				return fmt.Sprintf("is %s, not a time in Unix seconds", quote(s))
			}
			c.i = v * 1e6
			return ""
		default:
			v, ok := parseUint(s)
			if !ok || k == kInt32 && v > math.MaxInt32 {
				return fmt.Sprintf("is %s, not a number for an %s column", quote(s), kindName(k))
			}
			c.i = v
			return ""
		}
	}
	if ts, ok := a.(*array.Timestamp); ok {
		v := int64(ts.Value(r))
		switch ts.DataType().(*arrow.TimestampType).Unit {
		case arrow.Second:
			v *= 1e6
		case arrow.Millisecond:
			v *= 1e3
		case arrow.Nanosecond:
			v /= 1e3
		}
		c.i = v
		return ""
	}
	v, ok, inRange := intAt(a, r)
	if !ok {
		return "has a type the column cannot hold" // excluded by convertible
	}
	switch {
	case !inRange || v < 0:
		return fmt.Sprintf("is %s, out of range", a.ValueStr(r))
	case k == kString:
		start := len(d.arena)
		d.arena = strconv.AppendInt(d.arena, v, 10)
		c.b = d.arena[start:]
	case k == kInt32 && v > math.MaxInt32:
		return fmt.Sprintf("is %d, out of range for an INTEGER column", v)
	case k == kEpoch:
		if v >= maxEpoch {
			return fmt.Sprintf("is %d, not a time in Unix seconds", v)
		}
		c.i = v * 1e6
	default:
		c.i = v
	}
	return ""
}

// stringAt returns a string or binary value without copying.
func stringAt(a arrow.Array, r int) ([]byte, bool) {
	switch a := a.(type) {
	case *array.String:
		offs := a.ValueOffsets()
		return a.ValueBytes()[offs[r]-offs[0] : offs[r+1]-offs[0]], true
	case *array.LargeString:
		offs := a.ValueOffsets()
		return a.ValueBytes()[offs[r]-offs[0] : offs[r+1]-offs[0]], true
	case *array.Binary:
		return a.Value(r), true
	case *array.LargeBinary:
		return a.Value(r), true
	}
	return nil, false
}

// intAt returns an integer value; inRange is false for a uint64 above
// MaxInt64.
func intAt(a arrow.Array, r int) (v int64, ok, inRange bool) {
	switch a := a.(type) {
	case *array.Int8:
		return int64(a.Value(r)), true, true
	case *array.Int16:
		return int64(a.Value(r)), true, true
	case *array.Int32:
		return int64(a.Value(r)), true, true
	case *array.Int64:
		return a.Value(r), true, true
	case *array.Uint8:
		return int64(a.Value(r)), true, true
	case *array.Uint16:
		return int64(a.Value(r)), true, true
	case *array.Uint32:
		return int64(a.Value(r)), true, true
	case *array.Uint64:
		u := a.Value(r)
		return int64(u), true, u <= math.MaxInt64
	}
	return 0, false, false
}

// convertible reports whether a Parquet column's Arrow type can feed a
// column of kind k.
func convertible(t arrow.DataType, k kind) bool {
	if dt, ok := t.(*arrow.DictionaryType); ok {
		t = dt.ValueType
	}
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY,
		arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	case arrow.TIMESTAMP:
		return k == kEpoch
	}
	return false
}

func kindName(k kind) string {
	switch k {
	case kInt32:
		return "INTEGER"
	case kInt64:
		return "BIGINT"
	case kEpoch:
		return "a time"
	}
	return "text"
}

// extraValue adds a column we do not know to the record's extra object:
// strings as they are ("-" left out, as in text), anything else as JSON.
func (d *decoder) extraValue(b *binding, a arrow.Array, r int) {
	if dict, ok := a.(*array.Dictionary); ok {
		a, r = dict.Dictionary(), dict.GetValueIndex(r)
	}
	if s, ok := stringAt(a, r); ok {
		if len(s) == 1 && s[0] == '-' {
			return
		}
		d.addExtra(b, bytes.ToValidUTF8(s, []byte("\uFFFD")))
		return
	}
	// Unknown columns are rare: allocating here costs nothing that matters.
	v, err := json.Marshal(a.GetOneForMarshal(r))
	if err != nil {
		v = []byte(strconv.Quote(a.ValueStr(r)))
	}
	if len(d.extra) > 1 {
		d.extra = append(d.extra, ',')
	}
	d.extra = append(d.extra, b.key...)
	d.extra = append(d.extra, v...)
}
