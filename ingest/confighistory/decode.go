package confighistory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/auditlake/auditlake/ingest/source"
)

// The decoder reads a Config file's {"fileVersion":...,"configurationItems":
// [...]} with the streaming tokenizer the CloudTrail decoder uses (jsontext)
// and appends straight into Arrow builders: memory is bounded by the
// largest single item, not the file. Each item is first read into a scratch
// row; only a complete, usable item is appended, so one bad item is skipped
// without disturbing the stream or the columns.
//
// The members around the items (fileVersion, configSnapshotId, requestId)
// and the shapes that are not files (notifications, SNS envelopes) are
// handled in document; everything an item holds in item.

const (
	batchRows  = 16384    // rows per emitted record batch
	batchBytes = 32 << 20 // or this many bytes of variable-length data
	keepArena  = 4 << 20  // scratch kept between objects at most
)

var decoderPool = sync.Pool{New: func() any { return newDecoder() }}

type val struct {
	set   bool
	start int32 // arena offsets for strings and JSON
	end   int32
	n     int64 // timestamps (µs since epoch) and integers
}

type decoder struct {
	dec  *jsontext.Decoder // the one being read: top, or msg inside an SNS envelope
	top  *jsontext.Decoder
	msg  *jsontext.Decoder
	supp *jsontext.Decoder // members of one supplementaryConfiguration or summary
	msgR bytes.Reader      // msg's input
	supR bytes.Reader      // supp's input

	rb   *array.RecordBuilder
	strs [numColumns]*array.StringBuilder
	tss  [numColumns]*array.TimestampBuilder
	ints [numColumns]*array.Int64Builder

	row      [numColumns]val
	fallback [numColumns]string // per object: values for columns an item leaves unset
	arena    []byte
	extra    []byte // members of the "extra" object being built
	key      []byte // the member name being read
	text     []byte // an unquoted string being examined
	envelope []byte // an SNS envelope's Message
	rows     int
	rowBytes int
	lastData [numColumns]int
	colBytes [numColumns]int
	bad      string // why the current item is unusable, "" if usable
	notice   bool   // the current item carries notification members
}

var decodeOpts = []jsontext.Options{
	jsontext.AllowDuplicateNames(true), // faster; a duplicate keeps the last value
	jsontext.AllowInvalidUTF8(true),    // sanitised below; one bad byte must not fail a file
}

func newDecoder() *decoder {
	d := &decoder{
		top:  jsontext.NewDecoder(bytes.NewReader(nil), decodeOpts...),
		msg:  jsontext.NewDecoder(bytes.NewReader(nil), decodeOpts...),
		supp: jsontext.NewDecoder(bytes.NewReader(nil), decodeOpts...),
	}
	d.newBuilder()
	return d
}

func (d *decoder) newBuilder() {
	d.rb = array.NewRecordBuilder(memory.DefaultAllocator, table.Schema())
	for i := range numColumns {
		switch b := d.rb.Field(i).(type) {
		case *array.StringBuilder:
			d.strs[i] = b
		case *array.TimestampBuilder:
			d.tss[i] = b
		case *array.Int64Builder:
			d.ints[i] = b
		}
	}
	d.rows, d.rowBytes = 0, 0
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

// Decode implements source.Source.
func (s *Source) Decode(ctx context.Context, obj source.Object, body io.Reader, emit func(arrow.RecordBatch) error) (source.Stats, error) {
	d := decoderPool.Get().(*decoder)
	st, err := d.decode(ctx, obj, body, emit)
	d.top.Reset(bytes.NewReader(nil), decodeOpts...)
	d.msg.Reset(bytes.NewReader(nil), decodeOpts...)
	d.msgR.Reset(nil)
	d.supR.Reset(nil)
	if err != nil {
		// Throw away half-built rows; the builder is reused.
		d.rb.Release()
		d.newBuilder()
	}
	if cap(d.arena) > keepArena {
		d.arena = nil
	}
	if cap(d.envelope) > keepArena {
		d.envelope = nil
	}
	if cap(d.text) > keepArena {
		d.text = nil
	}
	decoderPool.Put(d)
	return st, err
}

var (
	errEmpty     = errors.New("empty object")
	errNotConfig = errors.New(`not an AWS Config file: no "configurationItems" array, configuration item or Config notification`)
)

// doc is what the members around the items said.
type doc struct {
	items       bool   // a configurationItems array was read
	single      bool   // a configurationItem (notification) was read into d.row
	messageType string // notifications
	summary     string // an oversized notification's configurationItemSummary, for messages
	location    string // an oversized notification's s3BucketLocation, as s3://...
	snapshotID  string // configSnapshotId, or requestId
	snapshot    bool   // configSnapshotId seen: a snapshot file whatever its key
	bucket      string // a delivery notification's s3Bucket
	objectKey   string // and s3ObjectKey
	envelope    bool   // an SNS envelope's Message was read into d.envelope
}

func (d *decoder) decode(ctx context.Context, obj source.Object, body io.Reader, emit func(arrow.RecordBatch) error) (source.Stats, error) {
	var st source.Stats
	d.top.Reset(body, decodeOpts...)
	d.dec = d.top
	clear(d.fallback[:])
	d.fallback[colAccountID] = obj.Partition.Account
	d.fallback[colRegion] = obj.Partition.Region
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
	if err := d.document(ctx, obj, &st, flush, false); err != nil {
		return st, err
	}
	return st, flush()
}

// document reads one JSON document from d.dec: a configuration history or
// snapshot file, a notification, or an SNS envelope around one (inner is
// set while reading the envelope's Message).
func (d *decoder) document(ctx context.Context, obj source.Object, st *source.Stats, flush func() error, inner bool) error {
	if k := d.dec.PeekKind(); k != '{' {
		if err := d.dec.SkipValue(); err != nil || k == 0 {
			if errors.Is(err, io.EOF) || k == 0 && err == nil {
				return errEmpty
			}
			return fmt.Errorf("not JSON: %w", cleanErr(err))
		}
		return fmt.Errorf("%w (the body is %s)", errNotConfig, kindName(k))
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return fmt.Errorf("invalid JSON: %w", cleanErr(err))
	}
	var info doc
	for d.dec.PeekKind() != '}' {
		k, err := d.dec.ReadValue()
		if err != nil {
			return fmt.Errorf("invalid JSON: %w", cleanErr(err))
		}
		switch string(unquoteKey(k)) {
		case "configurationItems":
			if info.single {
				return errors.New("unexpected shape: both configurationItems and configurationItem")
			}
			if k := d.dec.PeekKind(); k != '[' {
				return fmt.Errorf("unexpected shape: configurationItems is %s, not an array", kindName(k))
			}
			info.items = true
			d.setFileKind(obj, &info)
			if err := d.items(ctx, st, flush); err != nil {
				return err
			}
			continue
		case "configurationItem":
			if d.dec.PeekKind() == '{' && !info.items {
				if err := d.item(); err != nil {
					return fmt.Errorf("invalid JSON in configurationItem: %w", cleanErr(err))
				}
				info.single = true
				continue
			}
		case "messageType":
			info.messageType = d.readString()
			continue
		case "configSnapshotId":
			info.snapshotID, info.snapshot = d.readString(), true
			continue
		case "requestId":
			if id := d.readString(); !info.snapshot {
				info.snapshotID = id
			}
			continue
		case "configurationItemSummary":
			info.summary = d.readSummary()
			continue
		case "s3DeliverySummary":
			if loc := d.readMember("s3BucketLocation"); loc != "" {
				info.location = "s3://" + loc
			}
			continue
		case "s3ObjectKey":
			info.objectKey = d.readString()
			continue
		case "s3Bucket":
			info.bucket = d.readString()
			continue
		case "Message":
			if !inner {
				if err := d.readEnvelope(); err != nil {
					return err
				}
				info.envelope = true
				continue
			}
		}
		if err := d.dec.SkipValue(); err != nil {
			return fmt.Errorf("invalid JSON: %w", cleanErr(err))
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return fmt.Errorf("invalid JSON: %w", cleanErr(err))
	}
	// Trailing bytes after the document mean the object is not what it
	// claims to be (or two files were concatenated).
	if _, err := d.dec.ReadToken(); !errors.Is(err, io.EOF) {
		return errors.New("invalid JSON: data after the end of the document")
	}
	switch {
	case info.items:
		return nil
	case info.single:
		// A ConfigurationItemChangeNotification: what AWS Config writes to
		// OversizedChangeNotification/ when the item was too large for SNS.
		if d.bad != "" {
			st.Skip(fmt.Sprintf("configurationItem (resourceId %s): %s", d.resourceID(), d.bad))
			return nil
		}
		d.fallback[colFileKind] = "notification"
		d.appendRow()
		return nil
	case info.envelope:
		d.msgR.Reset(d.envelope)
		d.msg.Reset(&d.msgR, decodeOpts...)
		d.dec = d.msg
		err := d.document(ctx, obj, st, flush, true)
		d.dec = d.top
		if err != nil {
			return fmt.Errorf("SNS message: %w", err)
		}
		return nil
	case info.messageType == "OversizedConfigurationItemChangeNotification":
		msg := "OversizedConfigurationItemChangeNotification"
		if info.summary != "" {
			msg += " for " + info.summary
		}
		msg += ": a summary without the configuration item, not loaded; the full item is in the ConfigHistory file"
		if info.location != "" {
			msg += " and at " + info.location
		}
		st.Skip(msg)
		return nil
	case info.messageType != "":
		msg := info.messageType + " notification: holds no configuration item, not loaded"
		if info.objectKey != "" {
			msg += " (about s3://" + info.bucket + "/" + info.objectKey + ")"
		}
		st.Skip(msg)
		return nil
	}
	return errNotConfig
}

// setFileKind sets the per-object file_kind and snapshot_id before the
// items are read. A snapshot's id is the file's configSnapshotId (or the
// requestId of the documentation's example), else the one in its name.
// AWS Config writes the id before the items; one written after them would
// not be seen (the items are not held back for it).
func (d *decoder) setFileKind(obj source.Object, info *doc) {
	kind := fileKindOf(obj.Kind)
	if info.snapshot {
		kind = "snapshot"
	}
	d.fallback[colFileKind] = kind
	d.fallback[colSnapshotID] = ""
	if kind == "snapshot" {
		d.fallback[colSnapshotID] = info.snapshotID
		if info.snapshotID == "" {
			d.fallback[colSnapshotID] = snapshotIDFromKey(obj.Key)
		}
	}
}

// items reads the configurationItems array.
func (d *decoder) items(ctx context.Context, st *source.Stats, flush func() error) error {
	d.dec.ReadToken()
	for n := 0; d.dec.PeekKind() != ']'; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if k := d.dec.PeekKind(); k != '{' {
			if err := d.dec.SkipValue(); err != nil {
				return fmt.Errorf("invalid JSON in configuration item %d: %w", n, cleanErr(err))
			}
			st.Skip(fmt.Sprintf("item %d: %s, not an object", n, kindName(k)))
			continue
		}
		if err := d.item(); err != nil {
			return fmt.Errorf("invalid JSON in configuration item %d: %w", n, cleanErr(err))
		}
		if d.bad != "" {
			st.Skip(fmt.Sprintf("item %d (resourceId %s): %s", n, d.resourceID(), d.bad))
			continue
		}
		d.appendRow()
		if d.rows >= batchRows || d.rowBytes >= batchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return fmt.Errorf("invalid JSON: %w", cleanErr(err))
	}
	return nil
}

// readString reads a value that should be a string; anything else is
// skipped and reads as "".
func (d *decoder) readString() string {
	v, err := d.dec.ReadValue()
	if err != nil || len(v) < 2 || v[0] != '"' {
		return ""
	}
	return string(appendUnquoted(nil, v))
}

// readMember reads an object and returns one string member of it.
func (d *decoder) readMember(name string) string {
	v, err := d.dec.ReadValue()
	if err != nil || len(v) == 0 || v[0] != '{' {
		return ""
	}
	return memberString(d.supp, &d.supR, v, name)
}

// readSummary describes an oversized notification's item summary for
// messages: "AWS::EC2::Instance i-0abc captured 2016-10-06T16:46:16.261Z".
func (d *decoder) readSummary() string {
	v, err := d.dec.ReadValue()
	if err != nil || len(v) == 0 || v[0] != '{' {
		return ""
	}
	typ := memberString(d.supp, &d.supR, v, "resourceType")
	id := memberString(d.supp, &d.supR, v, "resourceId")
	at := memberString(d.supp, &d.supR, v, "configurationItemCaptureTime")
	s := typ + " " + id
	if at != "" {
		s += " captured " + at
	}
	return s
}

// memberString returns the string member name of the object v ("" if
// absent or not a string).
func memberString(dec *jsontext.Decoder, rd *bytes.Reader, v jsontext.Value, name string) string {
	rd.Reset(v)
	dec.Reset(rd, decodeOpts...)
	if _, err := dec.ReadToken(); err != nil {
		return ""
	}
	out := ""
	for dec.PeekKind() != '}' {
		k, err := dec.ReadValue()
		if err != nil {
			return out
		}
		match := string(unquoteKey(k)) == name
		v, err := dec.ReadValue()
		if err != nil {
			return out
		}
		if match && len(v) >= 2 && v[0] == '"' {
			out = string(appendUnquoted(nil, v))
		}
	}
	return out
}

// readEnvelope keeps an SNS envelope's Message: a JSON string holding the
// notification (as SNS delivers it), or the notification itself (as the
// documentation shows it).
func (d *decoder) readEnvelope() error {
	v, err := d.dec.ReadValue()
	if err != nil {
		return fmt.Errorf("invalid JSON: %w", cleanErr(err))
	}
	switch {
	case len(v) >= 2 && v[0] == '"':
		d.envelope = appendUnquoted(d.envelope[:0], v)
	case len(v) > 0 && v[0] == '{':
		d.envelope = append(d.envelope[:0], v...)
	default:
		return fmt.Errorf("%w (an SNS envelope whose Message is %s)", errNotConfig, kindName(v.Kind()))
	}
	return nil
}

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

// item reads one configuration item object into d.row.
func (d *decoder) item() error {
	clear(d.row[:])
	d.arena = d.arena[:0]
	d.extra = d.extra[:0]
	d.bad, d.notice = "", false
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	for d.dec.PeekKind() != '}' {
		k, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		name := unquoteKey(k)
		col, known := itemField(name)
		if !known {
			switch string(name) {
			case "configurationItemSummary", "s3DeliverySummary", "messageType":
				d.notice = true
			}
		}
		// The key's bytes are only valid until the next read.
		d.key = append(d.key[:0], k...)
		v, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		// Unknown fields, a second spelling of a field already read
		// (accountId and awsAccountId), and known fields of an unusable
		// type are kept in "extra" as received.
		if !known || d.row[col].set || !d.set(col, v) {
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
	switch {
	case d.bad != "":
	case d.notice && !d.row[colResourceID].set:
		d.bad = "a notification summary, not a configuration item"
	case !d.row[colCaptureTime].set:
		d.bad = "no configurationItemCaptureTime: the version cannot be placed in time"
	case !d.row[colResourceType].set || !d.row[colResourceID].set:
		d.bad = "no resourceType or resourceId: the resource cannot be identified"
	}
	return nil
}

// itemField maps an item member name to its column, for every spelling
// seen: the current schema, the 2014 documentation's (accountId, arn,
// configurationStateID, configurationItemState, snapshotVersion, the typo
// availibilityZone) and the API's (version, configurationItemMD5Hash). A
// switch: Go
// compiles it to a search on length and bytes, faster than a map.
func itemField(name []byte) (int, bool) {
	switch string(name) {
	case "configurationItemCaptureTime":
		return colCaptureTime, true
	case "awsAccountId", "accountId":
		return colAccountID, true
	case "awsRegion":
		return colRegion, true
	case "resourceType":
		return colResourceType, true
	case "resourceId":
		return colResourceID, true
	case "resourceName":
		return colResourceName, true
	case "ARN", "arn":
		return colARN, true
	case "configurationItemStatus":
		return colStatus, true
	case "configurationItemVersion", "snapshotVersion", "version":
		return colItemVersion, true
	case "configurationStateId", "configurationStateID", "configurationItemState":
		return colStateID, true
	case "configurationStateMd5Hash", "configurationItemMD5Hash":
		return colStateMD5, true
	case "availabilityZone", "availibilityZone":
		return colAvailabilityZone, true
	case "resourceCreationTime":
		return colResourceCreationTime, true
	case "tags":
		return colTags, true
	case "configuration":
		return colConfiguration, true
	case "supplementaryConfiguration":
		return colSupplementaryConfiguration, true
	case "relationships":
		return colRelationships, true
	case "relatedEvents":
		return colRelatedEvents, true
	}
	return 0, false
}

// fieldName is the item field behind a column, for messages.
var fieldName = [numColumns]string{
	colCaptureTime:          "configurationItemCaptureTime",
	colResourceCreationTime: "resourceCreationTime",
}

// set stores a value in its column by the column's type. It reports false
// when the value does not fit (an object where a string belongs): the
// caller keeps it in extra.
func (d *decoder) set(col int, v jsontext.Value) bool {
	if len(v) == 0 || v[0] == 'n' {
		return true // null: the column stays NULL
	}
	switch {
	case col == colStateID:
		return d.setStateID(v)
	case d.tss[col] != nil:
		return d.setTime(col, v)
	case col == colConfiguration:
		d.setConfiguration(v)
	case col == colSupplementaryConfiguration:
		d.setSupplementary(v)
	case table.Columns[col].SQL == jsonType:
		d.setJSON(col, v)
	default:
		if v[0] == '{' || v[0] == '[' {
			return false
		}
		if col == colStateMD5 && string(v) == `""` {
			return true
		}
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
	start := len(d.extra)
	d.extra = append(d.extra, validUTF8(v)...)
	if bytes.IndexByte(v, '\n') >= 0 {
		jv := jsontext.Value(d.extra[start:])
		if jv.Compact() == nil {
			d.extra = d.extra[:start+len(jv)]
		}
	}
}

// unquoteKey returns an object member name, without copying for the common
// case of a name without escapes.
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

// setString stores a scalar as text: strings unquoted, numbers and
// booleans as written.
func (d *decoder) setString(col int, v jsontext.Value) {
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

// setJSON stores a value as compact JSON text.
func (d *decoder) setJSON(col int, v jsontext.Value) {
	start := len(d.arena)
	d.arena = appendCompact(d.arena, v)
	d.row[col] = val{set: true, start: int32(start), end: int32(len(d.arena))}
}

// appendCompact appends v, compacted when it is pretty-printed. Real files
// are compact; documentation samples and hand-made files are not.
func appendCompact(dst []byte, v []byte) []byte {
	start := len(dst)
	dst = append(dst, validUTF8(v)...)
	if bytes.IndexByte(v, '\n') >= 0 {
		jv := jsontext.Value(dst[start:])
		if jv.Compact() == nil {
			dst = dst[:start+len(jv)]
		}
	}
	return dst
}

// encodedJSON returns the JSON text a string value holds when that text is
// an object or an array ("{\"a\":1}" -> {"a":1}), else nil. The API
// (get-resource-config-history) encodes configuration, and the members of
// supplementaryConfiguration, this way.
func (d *decoder) encodedJSON(v jsontext.Value) []byte {
	if len(v) < 4 || v[0] != '"' {
		return nil
	}
	d.text = appendUnquoted(d.text[:0], v)
	t := bytes.TrimSpace(d.text)
	if len(t) < 2 || !(t[0] == '{' && t[len(t)-1] == '}' || t[0] == '[' && t[len(t)-1] == ']') {
		return nil
	}
	if !jsontext.Value(t).IsValid(decodeOpts...) {
		return nil
	}
	return t
}

// setConfiguration stores configuration, decoding the API's JSON string
// form so that the column always holds the object. A string that does not
// hold a JSON object or array is kept as the JSON string it is.
func (d *decoder) setConfiguration(v jsontext.Value) {
	if t := d.encodedJSON(v); t != nil {
		start := len(d.arena)
		d.arena = append(d.arena, t...)
		jv := jsontext.Value(d.arena[start:])
		if jv.Compact() == nil {
			d.arena = d.arena[:start+len(jv)]
		}
		d.row[colConfiguration] = val{set: true, start: int32(start), end: int32(len(d.arena))}
		return
	}
	d.setJSON(colConfiguration, v)
}

// setSupplementary stores supplementaryConfiguration. In files its members
// are objects; the API gives each as a JSON string. Those strings are
// decoded when they hold an object or array, one level deep only: strings
// inside them (an S3 bucket policy's policyText) stay as AWS wrote them.
func (d *decoder) setSupplementary(v jsontext.Value) {
	// Cheap test first: no member can be an encoded object or array.
	if v[0] != '{' || !bytes.Contains(v, []byte(`"{`)) && !bytes.Contains(v, []byte(`"[`)) {
		d.setJSON(colSupplementaryConfiguration, v)
		return
	}
	start := len(d.arena)
	d.supR.Reset(v)
	d.supp.Reset(&d.supR, decodeOpts...)
	ok := func() bool {
		if _, err := d.supp.ReadToken(); err != nil {
			return false
		}
		d.arena = append(d.arena, '{')
		for n := 0; d.supp.PeekKind() != '}'; n++ {
			k, err := d.supp.ReadValue()
			if err != nil {
				return false
			}
			if n > 0 {
				d.arena = append(d.arena, ',')
			}
			d.arena = append(d.arena, validUTF8(k)...)
			d.arena = append(d.arena, ':')
			mv, err := d.supp.ReadValue()
			if err != nil {
				return false
			}
			if t := d.encodedJSON(mv); t != nil {
				mv = t
			}
			d.arena = appendCompact(d.arena, mv)
		}
		d.arena = append(d.arena, '}')
		return true
	}()
	if !ok {
		d.arena = d.arena[:start]
		d.setJSON(colSupplementaryConfiguration, v)
		return
	}
	jv := jsontext.Value(d.arena[start:])
	if jv.Compact() == nil {
		d.arena = d.arena[:start+len(jv)]
	}
	d.row[colSupplementaryConfiguration] = val{set: true, start: int32(start), end: int32(len(d.arena))}
}

// setStateID stores configurationStateId: a number in current files (epoch
// milliseconds), a numeric string in some exports, a UUID in the 2014
// documentation. Numbers go to state_id, anything else to state_id_text.
func (d *decoder) setStateID(v jsontext.Value) bool {
	switch v.Kind() {
	case '0':
		if n, ok := parseInt(v); ok {
			d.row[colStateID] = val{set: true, n: n}
			return true
		}
	case '"':
		if n, ok := parseInt(v[1 : len(v)-1]); ok {
			d.row[colStateID] = val{set: true, n: n}
			return true
		}
	default:
		return false
	}
	d.setString(colStateIDText, v)
	return true
}

// parseInt parses an integer, or a number in another notation that is one
// (1.682607791636E12).
func parseInt(b []byte) (int64, bool) {
	if n, ok := atoi(b); ok {
		return n, true
	}
	if len(b) > 1 && b[0] == '-' {
		if n, ok := atoi(b[1:]); ok {
			return -n, true
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// setTime stores a timestamp: RFC 3339 text, or epoch seconds (with a
// fraction) as the API's JSON gives them. A capture time that is neither
// makes the item unusable; other timestamps go to "extra".
func (d *decoder) setTime(col int, v jsontext.Value) bool {
	if string(v) == `""` {
		return true
	}
	var t int64
	var ok bool
	switch v.Kind() {
	case '"':
		t, ok = parseTime(v[1 : len(v)-1])
	case '0':
		t, ok = parseEpoch(v)
	}
	if !ok {
		if col == colCaptureTime {
			d.markBad(col, "an RFC 3339 timestamp or epoch seconds", v)
			return true
		}
		return false
	}
	d.row[col] = val{set: true, n: t}
	return true
}

func (d *decoder) markBad(col int, want string, v jsontext.Value) {
	if d.bad != "" {
		return
	}
	shown := string(validUTF8(v))
	if len(shown) > 40 {
		shown = shown[:40] + "..."
	}
	d.bad = fmt.Sprintf("%s is %s, want %s", fieldName[col], shown, want)
}

// resourceID is the current item's resourceId, for messages.
func (d *decoder) resourceID() string {
	v := d.row[colResourceID]
	if !v.set {
		return "none"
	}
	return string(d.arena[v.start:v.end])
}

// appendRow moves d.row into the builders; columns the item left unset
// take the object's fallback values.
func (d *decoder) appendRow() {
	for i := range numColumns {
		v := d.row[i]
		switch {
		case d.strs[i] != nil:
			var s []byte
			switch {
			case v.set:
				s = d.arena[v.start:v.end]
			case d.fallback[i] != "":
				d.strs[i].Append(d.fallback[i])
				d.rowBytes += len(d.fallback[i])
				d.colBytes[i] += len(d.fallback[i])
				continue
			default:
				d.strs[i].AppendNull()
				continue
			}
			d.strs[i].BinaryBuilder.Append(s)
			d.rowBytes += len(s)
			d.colBytes[i] += len(s)
		case d.tss[i] != nil:
			if v.set {
				d.tss[i].Append(arrow.Timestamp(v.n))
			} else {
				d.tss[i].AppendNull()
			}
		case d.ints[i] != nil:
			if v.set {
				d.ints[i].Append(v.n)
			} else {
				d.ints[i].AppendNull()
			}
		}
	}
	d.rows++
}

// validUTF8 returns b, or a copy with invalid sequences replaced: DuckDB
// rejects invalid UTF-8 in VARCHAR and JSON values.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// parseTime parses Config's capture times ("2023-04-27T15:03:11.636Z")
// without time.Parse on the fast path, and any other RFC 3339 form.
func parseTime(b []byte) (int64, bool) {
	if len(b) >= 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[len(b)-1] == 'Z' {
		y, ok1 := atoi(b[0:4])
		mo, ok2 := atoi(b[5:7])
		dd, ok3 := atoi(b[8:10])
		h, ok4 := atoi(b[11:13])
		mi, ok5 := atoi(b[14:16])
		s, ok6 := atoi(b[17:19])
		var us int64
		ok7 := true
		if frac := b[19 : len(b)-1]; len(frac) > 0 {
			us, ok7 = fraction(frac)
		}
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31 && h < 24 && mi < 60 && s < 61 {
			return time.Date(int(y), time.Month(mo), int(dd), int(h), int(mi), int(s), 0, time.UTC).UnixMicro() + us, true
		}
		return 0, false
	}
	s := string(b)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro(), true
		}
	}
	// Epoch seconds as a string.
	if len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
		return parseEpoch(b)
	}
	return 0, false
}

// fraction parses ".fff..." into microseconds (digits past the sixth are
// dropped).
func fraction(b []byte) (int64, bool) {
	if len(b) < 2 || b[0] != '.' {
		return 0, false
	}
	digits := b[1:]
	n, ok := atoi(digits[:min(len(digits), 6)])
	if !ok {
		return 0, false
	}
	if _, ok := atoi(digits); !ok {
		return 0, false
	}
	for i := len(digits); i < 6; i++ {
		n *= 10
	}
	return n, true
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
}

// parseEpoch parses epoch seconds with an optional fraction
// (1394225228.918), as the API's JSON output gives capture times. A value
// of 12 digits or more before the point is taken as milliseconds: as
// seconds it would be past the year 5000.
func parseEpoch(b []byte) (int64, bool) {
	whole, frac, _ := bytes.Cut(b, []byte("."))
	if n, ok := atoi(whole); ok && len(whole) <= 15 && !bytes.ContainsAny(frac, "eE") {
		if len(whole) >= 12 {
			if len(frac) > 0 {
				return 0, false
			}
			return n * 1000, true
		}
		var us int64
		if len(frac) > 0 {
			var ok bool
			if us, ok = fraction(b[len(whole):]); !ok {
				return 0, false
			}
		}
		return n*1e6 + us, true
	}
	// Exponent notation.
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f >= 1e11 {
		return 0, false
	}
	return int64(math.Round(f * 1e6)), true
}

func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
