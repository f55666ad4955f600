package cloudtrail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/auditlake/auditlake/ingest/source"
)

// The decoder reads CloudTrail's {"Records":[...]} with a streaming JSON
// tokenizer (jsontext, the tokenizer of the json/v2 proposal) and appends
// straight into Arrow builders. Measured against typed decoding on real
// events (docs/BENCHMARKS.md): encoding/json 118 MB/s, json/v2 into a struct
// 317 MB/s, sonic 343 MB/s, jsontext tokens 618 MB/s a core. Tokens also
// stream: memory is bounded by the largest single record, not the file.
//
// Each record is first read into a scratch row; only a complete, usable
// record is appended to the builders, so one bad record is skipped without
// disturbing the stream or the columns.

const (
	batchRows  = 16384    // rows per emitted record batch
	batchBytes = 32 << 20 // or this many bytes of variable-length data
	keepArena  = 4 << 20  // scratch kept between records at most
)

var decoderPool = sync.Pool{New: func() any { return newDecoder() }}

type val struct {
	set   bool
	start int32 // arena offsets for strings and JSON
	end   int32
	b     bool  // booleans
	t     int64 // timestamps, µs since epoch
}

type decoder struct {
	dec   *jsontext.Decoder
	sub   *jsontext.Decoder
	rb    *array.RecordBuilder
	strs  [numColumns]*array.StringBuilder
	bools [numColumns]*array.BooleanBuilder
	tss   [numColumns]*array.TimestampBuilder

	row      [numColumns]val
	arena    []byte
	extra    []byte // members of the "extra" object being built
	key      []byte // the member name being read
	rows     int
	rowBytes int
	// data bytes each string column held in the last batch: the next
	// batch's builders are sized from it instead of growing by doubling.
	lastData [numColumns]int
	colBytes [numColumns]int
	bad      string // why the current record is unusable, "" if usable
}

var decodeOpts = []jsontext.Options{
	jsontext.AllowDuplicateNames(true), // faster, and AWS has emitted duplicates
	jsontext.AllowInvalidUTF8(true),    // sanitised below; one bad byte must not fail a file
}

func newDecoder() *decoder {
	d := &decoder{
		dec: jsontext.NewDecoder(bytes.NewReader(nil), decodeOpts...),
		sub: jsontext.NewDecoder(bytes.NewReader(nil), decodeOpts...),
	}
	d.newBuilder()
	return d
}

// reserve sizes the builders for a full batch like the last one.
func (d *decoder) reserve() {
	if d.lastData == ([numColumns]int{}) {
		return
	}
	d.rb.Reserve(batchRows)
	for i, b := range d.strs {
		if b != nil && d.lastData[i] > 0 {
			b.ReserveData(d.lastData[i] + d.lastData[i]/8)
		}
	}
}

func (d *decoder) newBuilder() {
	d.rb = array.NewRecordBuilder(memory.DefaultAllocator, table.Schema())
	for i := range numColumns {
		switch b := d.rb.Field(i).(type) {
		case *array.StringBuilder:
			d.strs[i] = b
		case *array.BooleanBuilder:
			d.bools[i] = b
		case *array.TimestampBuilder:
			d.tss[i] = b
		}
	}
	d.rows, d.rowBytes = 0, 0
}

// Decode implements source.Source.
func (s *Source) Decode(ctx context.Context, obj source.Object, body io.Reader, emit func(arrow.RecordBatch) error) (source.Stats, error) {
	d := decoderPool.Get().(*decoder)
	st, err := d.decode(ctx, obj, body, emit)
	d.dec.Reset(bytes.NewReader(nil), decodeOpts...)
	if err != nil {
		// Throw away half-built rows; the builder is reused.
		d.rb.Release()
		d.newBuilder()
	}
	if cap(d.arena) > keepArena {
		d.arena = nil
	}
	decoderPool.Put(d)
	return st, err
}

func (d *decoder) decode(ctx context.Context, obj source.Object, body io.Reader, emit func(arrow.RecordBatch) error) (source.Stats, error) {
	var st source.Stats
	d.dec.Reset(body, decodeOpts...)
	flush := func() error {
		if d.rows == 0 {
			return nil
		}
		rec := d.rb.NewRecordBatch()
		st.Rows += int64(d.rows)
		full := d.rows >= batchRows
		d.lastData, d.colBytes = d.colBytes, [numColumns]int{}
		d.rows, d.rowBytes = 0, 0
		if full {
			// More of a large object is likely to follow; small objects
			// (most of a real archive) must not pay for a full batch.
			d.reserve()
		}
		return emit(rec)
	}

	if k := d.dec.PeekKind(); k != '{' {
		if err := d.dec.SkipValue(); err != nil || k == 0 {
			if errors.Is(err, io.EOF) || k == 0 && err == nil {
				return st, errEmpty
			}
			return st, fmt.Errorf("not JSON: %w", cleanErr(err))
		}
		return st, errNotCloudTrail
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return st, fmt.Errorf("invalid JSON: %w", cleanErr(err))
	}
	found := false
	for d.dec.PeekKind() != '}' {
		k, err := d.dec.ReadValue()
		if err != nil {
			return st, fmt.Errorf("invalid JSON: %w", cleanErr(err))
		}
		if string(k) != `"Records"` {
			if err := d.dec.SkipValue(); err != nil {
				return st, fmt.Errorf("invalid JSON: %w", cleanErr(err))
			}
			continue
		}
		if d.dec.PeekKind() != '[' {
			return st, fmt.Errorf("not a CloudTrail log file: Records is %s, not an array", kindName(d.dec.PeekKind()))
		}
		found = true
		d.dec.ReadToken()
		for n := 0; d.dec.PeekKind() != ']'; n++ {
			if n&1023 == 0 && ctx.Err() != nil {
				return st, ctx.Err()
			}
			if d.dec.PeekKind() != '{' {
				kind := d.dec.PeekKind()
				if err := d.dec.SkipValue(); err != nil {
					return st, fmt.Errorf("invalid JSON in record %d: %w", n, cleanErr(err))
				}
				st.Skip(fmt.Sprintf("record %d: %s, not an object", n, kindName(kind)))
				continue
			}
			if err := d.record(obj); err != nil {
				return st, fmt.Errorf("invalid JSON in record %d: %w", n, cleanErr(err))
			}
			if d.bad != "" {
				id := d.str(colEventID)
				if strings.HasPrefix(id, "synthetic-") {
					id = "none"
				}
				st.Skip(fmt.Sprintf("record %d (eventID %s): %s", n, id, d.bad))
				continue
			}
			d.appendRow()
			if d.rows >= batchRows || d.rowBytes >= batchBytes {
				if err := flush(); err != nil {
					return st, err
				}
			}
		}
		if _, err := d.dec.ReadToken(); err != nil {
			return st, fmt.Errorf("invalid JSON: %w", cleanErr(err))
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return st, fmt.Errorf("invalid JSON: %w", cleanErr(err))
	}
	if !found {
		return st, errNotCloudTrail
	}
	// Trailing bytes after the document mean the object is not what it
	// claims to be (or two files were concatenated).
	if _, err := d.dec.ReadToken(); !errors.Is(err, io.EOF) {
		return st, fmt.Errorf("invalid JSON: data after the end of the document")
	}
	return st, flush()
}

var (
	errEmpty         = errors.New("empty object")
	errNotCloudTrail = errors.New(`not a CloudTrail log file: no "Records" array`)
)

// cleanErr turns io.ErrUnexpectedEOF into a message users recognise.
func cleanErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("unexpected end of data (truncated object?)")
	}
	return err
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "nothing"
}

// record reads one record object into d.row.
func (d *decoder) record(obj source.Object) error {
	clear(d.row[:])
	d.arena = d.arena[:0]
	d.extra = d.extra[:0]
	d.bad = ""
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	for d.dec.PeekKind() != '}' {
		k, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		name := unquoteKey(k)
		if string(name) == "userIdentity" {
			v, err := d.dec.ReadValue()
			if err != nil {
				return err
			}
			if err := d.userIdentity(v); err != nil {
				return err
			}
			continue
		}
		col, known := topLevel(name)
		// The key's bytes are only valid until the next read.
		d.key = append(d.key[:0], k...)
		v, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		if !known || !d.setTyped(col, v) {
			// Unknown fields, and known ones of an unusable type, are kept
			// in "extra" as received.
			d.addExtra(d.key, v)
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	if len(d.extra) > 0 {
		start := len(d.arena)
		d.arena = append(d.arena, '{')
		d.arena = append(d.arena, d.extra...)
		d.arena = append(d.arena, '}')
		d.row[colExtra] = val{set: true, start: int32(start), end: int32(len(d.arena))}
	}
	if obj.Kind == "cloudtrail_insight" && !d.row[colEventCategory].set {
		d.setString(colEventCategory, []byte(`"Insight"`))
	}
	if !d.row[colEventID].set {
		d.syntheticID()
	}
	d.derivePrincipal()
	return nil
}

// setTyped stores a top-level value in its column by the column's type. It
// reports false when the value does not fit the type (a number where a
// timestamp belongs): the caller keeps it elsewhere.
func (d *decoder) setTyped(col int, v jsontext.Value) bool {
	switch {
	case d.tss[col] != nil:
		return d.setTime(col, v)
	case d.bools[col] != nil:
		return d.setBool(col, v)
	case table.Columns[col].SQL == jsonType:
		d.setJSON(col, v)
	default:
		d.setString(col, v)
	}
	return true
}

func (d *decoder) addExtra(k []byte, v jsontext.Value) {
	if len(d.extra) > 0 {
		d.extra = append(d.extra, ',')
	}
	d.extra = append(d.extra, validUTF8(k)...)
	d.extra = append(d.extra, ':')
	d.extra = append(d.extra, validUTF8(v)...)
}

// topLevel maps a top-level member name to its column. A switch: Go
// compiles it to a search on length and bytes, faster than hashing for map
// lookups on this hot path (measured in BenchmarkDecode).
func topLevel(name []byte) (int, bool) {
	switch string(name) {
	case "eventTime":
		return colEventTime, true
	case "eventID":
		return colEventID, true
	case "eventVersion":
		return colEventVersion, true
	case "eventSource":
		return colEventSource, true
	case "eventName":
		return colEventName, true
	case "eventType":
		return colEventType, true
	case "eventCategory":
		return colEventCategory, true
	case "awsRegion":
		return colAwsRegion, true
	case "sourceIPAddress":
		return colSourceIP, true
	case "userAgent":
		return colUserAgent, true
	case "errorCode":
		return colErrorCode, true
	case "errorMessage":
		return colErrorMessage, true
	case "readOnly":
		return colReadOnly, true
	case "managementEvent":
		return colManagementEvent, true
	case "recipientAccountId":
		return colRecipientAccountID, true
	case "requestID":
		return colRequestID, true
	case "sharedEventID":
		return colSharedEventID, true
	case "vpcEndpointId":
		return colVpcEndpointID, true
	case "vpcEndpointAccountId":
		return colVpcEndpointAccountID, true
	case "apiVersion":
		return colAPIVersion, true
	case "sessionCredentialFromConsole":
		return colSessionCredentialFromConsole, true
	case "requestParameters":
		return colRequestParameters, true
	case "responseElements":
		return colResponseElements, true
	case "additionalEventData":
		return colAdditionalEventData, true
	case "resources":
		return colResources, true
	case "serviceEventDetails":
		return colServiceEventDetails, true
	case "tlsDetails":
		return colTLSDetails, true
	case "insightDetails":
		return colInsightDetails, true
	}
	return 0, false
}

// unquoteKey returns an object member name, without copying for the common
// case of a name without escapes. Lookups such as topLevel[string(name)] do
// not allocate.
func unquoteKey(k jsontext.Value) []byte {
	if len(k) >= 2 && bytes.IndexByte(k, '\\') < 0 {
		return k[1 : len(k)-1]
	}
	s, err := jsontext.AppendUnquote(nil, k)
	if err != nil {
		return k
	}
	return s
}

// setString stores any JSON value as text: strings unquoted, numbers and
// booleans as written, objects and arrays as JSON text. Numbers and strings
// do alternate in the same field across API versions; nothing is lost.
func (d *decoder) setString(col int, v jsontext.Value) {
	if len(v) == 0 || v[0] == 'n' {
		return
	}
	start := len(d.arena)
	if v[0] == '"' {
		d.arena = appendUnquoted(d.arena, v)
	} else {
		d.arena = append(d.arena, validUTF8(v)...)
	}
	d.row[col] = val{set: true, start: int32(start), end: int32(len(d.arena))}
}

func appendUnquoted(dst []byte, v jsontext.Value) []byte {
	if bytes.IndexByte(v, '\\') < 0 {
		return append(dst, validUTF8(v[1:len(v)-1])...)
	}
	out, err := jsontext.AppendUnquote(dst, v)
	if err != nil {
		return append(dst, validUTF8(v[1:len(v)-1])...)
	}
	// AppendUnquote replaced invalid UTF-8 with U+FFFD already.
	return out
}

// setJSON stores a nested payload as JSON text; JSON null becomes SQL NULL.
func (d *decoder) setJSON(col int, v jsontext.Value) {
	if len(v) == 0 || v[0] == 'n' {
		return
	}
	start := len(d.arena)
	d.arena = append(d.arena, validUTF8(v)...)
	// Real log files are compact; documentation samples and hand-made
	// files are pretty-printed. Store compact JSON either way.
	if bytes.IndexByte(v, '\n') >= 0 {
		jv := jsontext.Value(d.arena[start:])
		if jv.Compact() == nil {
			d.arena = d.arena[:start+len(jv)]
		}
	}
	d.row[col] = val{set: true, start: int32(start), end: int32(len(d.arena))}
}

func (d *decoder) setBool(col int, v jsontext.Value) bool {
	b, ok := parseBool(v)
	if ok && b != nil {
		d.row[col] = val{set: true, b: *b}
	}
	return ok
}

var yes, no = true, false

// parseBool accepts JSON booleans and the strings "true"/"false" (CloudTrail
// writes mfaAuthenticated and sessionCredentialFromConsole as strings). A nil
// result with ok means null or "".
func parseBool(v jsontext.Value) (*bool, bool) {
	switch {
	case len(v) == 0 || v[0] == 'n' || string(v) == `""`:
		return nil, true
	case v[0] == 't':
		return &yes, true
	case v[0] == 'f':
		return &no, true
	case strings.EqualFold(string(v), `"true"`):
		return &yes, true
	case strings.EqualFold(string(v), `"false"`):
		return &no, true
	}
	return nil, false
}

// setTime stores a timestamp. An eventTime that is not one makes the record
// unusable (it cannot be placed in time); other timestamps go to "extra".
func (d *decoder) setTime(col int, v jsontext.Value) bool {
	if len(v) == 0 || v[0] == 'n' || string(v) == `""` {
		return true
	}
	var t int64
	ok := v[0] == '"'
	if ok {
		t, ok = parseTime(v[1 : len(v)-1])
	}
	if !ok {
		if col == colEventTime {
			d.markBad(col, "an RFC 3339 timestamp", v)
			return true
		}
		return false
	}
	d.row[col] = val{set: true, t: t}
	return true
}

var topLevelNames = []string{"eventTime", "eventID", "eventVersion", "eventSource", "eventName", "eventType", "eventCategory", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "readOnly", "managementEvent", "recipientAccountId", "requestID", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "apiVersion", "sessionCredentialFromConsole", "requestParameters", "responseElements", "additionalEventData", "resources", "serviceEventDetails", "tlsDetails", "insightDetails"}

// fieldName is the CloudTrail field behind a column, for messages.
var fieldName = func() map[int]string {
	m := map[int]string{colSessionMFAAuthenticated: "userIdentity.sessionContext.attributes.mfaAuthenticated", colSessionCreationDate: "userIdentity.sessionContext.attributes.creationDate"}
	for _, name := range topLevelNames {
		col, _ := topLevel([]byte(name))
		m[col] = name
	}
	return m
}()

func (d *decoder) markBad(col int, want string, v jsontext.Value) {
	name := fieldName[col]
	if d.bad != "" {
		return
	}
	shown := string(v)
	if len(shown) > 40 {
		shown = shown[:40] + "..."
	}
	d.bad = fmt.Sprintf("%s is %s, want %s", name, shown, want)
}

func (d *decoder) str(col int) string {
	v := d.row[col]
	if !v.set {
		return ""
	}
	return string(d.arena[v.start:v.end])
}

// appendRow moves d.row into the builders.
func (d *decoder) appendRow() {
	for i := range numColumns {
		v := d.row[i]
		switch {
		case d.strs[i] != nil:
			if v.set {
				d.strs[i].BinaryBuilder.Append(d.arena[v.start:v.end])
				d.rowBytes += int(v.end - v.start)
				d.colBytes[i] += int(v.end - v.start)
			} else {
				d.strs[i].AppendNull()
			}
		case d.bools[i] != nil:
			if v.set {
				d.bools[i].Append(v.b)
			} else {
				d.bools[i].AppendNull()
			}
		case d.tss[i] != nil:
			if v.set {
				d.tss[i].Append(arrow.Timestamp(v.t))
			} else {
				d.tss[i].AppendNull()
			}
		}
	}
	d.rows++
}

// syntheticID gives events without an eventID (eventVersion 1.0x) a stable
// identifier, so that the same event delivered twice is still kept once.
func (d *decoder) syntheticID() {
	h := sha256.New()
	for _, c := range []int{colEventTime, colEventSource, colEventName, colRequestID, colUserIdentity, colSourceIP, colUserAgent, colRequestParameters, colAwsRegion} {
		v := d.row[c]
		if c == colEventTime {
			fmt.Fprintf(h, "%d", v.t)
		} else if v.set {
			h.Write(d.arena[v.start:v.end])
		}
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	start := len(d.arena)
	d.arena = append(d.arena, "synthetic-"...)
	d.arena = hex.AppendEncode(d.arena, sum[:16])
	d.row[colEventID] = val{set: true, start: int32(start), end: int32(len(d.arena))}
}

// validUTF8 returns b, or a copy with invalid sequences replaced: DuckDB
// rejects invalid UTF-8 in VARCHAR and JSON values.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// parseTime parses CloudTrail's eventTime ("2023-07-10T11:45:36Z") without
// time.Parse on the fast path, and other RFC 3339 forms, the compact
// "20131102T010628Z" of old session dates and Panther's normalised form.
func parseTime(b []byte) (int64, bool) {
	if len(b) == 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == 'Z' {
		y, ok1 := atoi(b[0:4])
		mo, ok2 := atoi(b[5:7])
		dd, ok3 := atoi(b[8:10])
		h, ok4 := atoi(b[11:13])
		mi, ok5 := atoi(b[14:16])
		s, ok6 := atoi(b[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31 && h < 24 && mi < 60 && s < 61 {
			return time.Date(y, time.Month(mo), dd, h, mi, s, 0, time.UTC).UnixMicro(), true
		}
		return 0, false
	}
	s := string(b)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro(), true
		}
	}
	return 0, false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"20060102T150405Z",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05Z07:00",
}

func atoi(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
