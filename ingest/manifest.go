package ingest

import (
	"context"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/auditlake/auditlake/ingest/source"
	"github.com/auditlake/auditlake/internal/duck"
)

// Object statuses in the manifest.
const (
	StatusLoaded  = "loaded"  // rows are in the source's table
	StatusSkipped = "skipped" // recognised and deliberately not loaded (digest files, unsupported log types, ...)
	StatusFailed  = "failed"  // could not be read or decoded; retried by the next run
)

// manifestTable records every object a run has seen. It is written in the
// same transaction as the object's rows, so it is exact after a crash.
var manifestTable = &source.Table{
	Name:        "ingest_objects",
	NoReference: true,
	Doc:         "One row per object seen in the archive: what it was, what became of it, and a SHA-256 of the bytes read.",
	Columns: []source.Column{
		{Name: "bucket", Type: arrow.BinaryTypes.String, Doc: "bucket, or the absolute directory of a local archive"},
		{Name: "key", Type: arrow.BinaryTypes.String, Doc: "object key"},
		{Name: "etag", Type: arrow.BinaryTypes.String, Doc: "ETag from the listing (local archives: a digest of size and modification time)"},
		{Name: "size", Type: arrow.PrimitiveTypes.Int64, Doc: "size in bytes from the listing"},
		{Name: "last_modified", Type: source.Timestamp, Doc: "last-modified time from the listing"},
		{Name: "sha256", Type: arrow.BinaryTypes.String, Doc: "SHA-256 of the bytes read (NULL when the object was not read)"},
		{Name: "log_type", Type: arrow.BinaryTypes.String, Doc: "cloudtrail, cloudtrail_insight, cloudtrail_digest, config_history, credential_report, vpc_flow, unsupported, unrecognised, ..."},
		{Name: "target_table", Type: arrow.BinaryTypes.String, Doc: "table the rows went to (for a failed object: would have gone to)"},
		{Name: "account_id", Type: arrow.BinaryTypes.String, Doc: "account from the key (or content)"},
		{Name: "region", Type: arrow.BinaryTypes.String, Doc: "region from the key"},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Doc: "date folder of the key"},
		{Name: "rows", Type: arrow.PrimitiveTypes.Int64, Doc: "rows decoded from the object (before removing duplicates delivered in other objects)"},
		{Name: "skipped_records", Type: arrow.PrimitiveTypes.Int64, Doc: "records in the object that could not be used"},
		{Name: "status", Type: arrow.BinaryTypes.String, Doc: "loaded, skipped or failed"},
		{Name: "error", Type: arrow.BinaryTypes.String, Doc: "why the object failed, or samples of skipped records"},
		{Name: "note", Type: arrow.BinaryTypes.String, Doc: "why the object was skipped"},
		{Name: "run_id", Type: arrow.BinaryTypes.String, Doc: "the ingest run that recorded this row"},
		{Name: "ingested_at", Type: source.Timestamp, Doc: "when the row was recorded"},
	},
}

// manifestRow is one ingest_objects row.
type manifestRow struct {
	Bucket, Key, ETag string
	Size              int64
	LastModified      time.Time
	SHA256            string
	LogType, Table    string
	Partition         source.Partition
	Rows, Skipped     int64
	Status            string
	Error, Note       string
	RunID             string
	IngestedAt        time.Time
}

// manifestBatch builds one Arrow record batch of manifest rows.
func manifestBatch(rows []manifestRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, manifestTable.Schema())
	defer b.Release()
	str := func(i int, s string) {
		if s == "" {
			b.Field(i).AppendNull()
		} else {
			b.Field(i).(*array.StringBuilder).Append(s)
		}
	}
	ts := func(i int, t time.Time) {
		if t.IsZero() {
			b.Field(i).AppendNull()
		} else {
			b.Field(i).(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
		}
	}
	for _, r := range rows {
		str(0, r.Bucket)
		str(1, r.Key)
		str(2, r.ETag)
		b.Field(3).(*array.Int64Builder).Append(r.Size)
		ts(4, r.LastModified)
		str(5, r.SHA256)
		str(6, r.LogType)
		str(7, r.Table)
		str(8, r.Partition.Account)
		str(9, r.Partition.Region)
		if r.Partition.Day.IsZero() {
			b.Field(10).AppendNull()
		} else {
			b.Field(10).(*array.Date32Builder).Append(arrow.Date32FromTime(r.Partition.Day))
		}
		b.Field(11).(*array.Int64Builder).Append(r.Rows)
		b.Field(12).(*array.Int64Builder).Append(r.Skipped)
		str(13, r.Status)
		str(14, r.Error)
		str(15, r.Note)
		str(16, r.RunID)
		ts(17, r.IngestedAt)
	}
	return b.NewRecordBatch()
}

// runsDDL and dirtyDDL complete the loader's bookkeeping.
const runsDDL = `CREATE TABLE IF NOT EXISTS ingest_runs (
  run_id VARCHAR,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  location VARCHAR,
  filter VARCHAR,
  status VARCHAR,
  objects_listed BIGINT,
  objects_unchanged BIGINT,
  objects_loaded BIGINT,
  objects_skipped BIGINT,
  objects_failed BIGINT,
  rows_decoded BIGINT,
  duplicates_removed BIGINT,
  bytes_read BIGINT,
  tool_version VARCHAR,
  error VARCHAR
)`

// ingest_dirty holds the time windows of rows committed but not yet
// deduplicated. It is written with the rows and emptied by the dedupe pass,
// so a crash between the two leaves work the next run finishes.
const dirtyDDL = `CREATE TABLE IF NOT EXISTS ingest_dirty (
  table_name VARCHAR,
  lo TIMESTAMPTZ,
  hi TIMESTAMPTZ,
  has_null BOOLEAN
)`

// EnsureSchema creates the loader's tables, every source's table and views.
func EnsureSchema(ctx context.Context, db *duck.DB, sources []source.Source) error {
	stmts := []string{manifestTable.CreateSQL(), runsDDL, dirtyDDL}
	for _, s := range sources {
		t := s.Table()
		stmts = append(stmts, t.CreateSQL())
		if len(t.Key) > 0 && t.Time != "" {
			stmts = append(stmts, dupTableDDL(t))
		}
		for _, v := range t.Views {
			stmts = append(stmts, fmt.Sprintf("CREATE OR REPLACE VIEW %s AS %s", v.Name, v.SQL))
		}
		stmts = append(stmts, t.DDL...)
	}
	stmts = append(stmts, coverageViews...)
	for _, stmt := range stmts {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create schema: %w\n%s", err, stmt)
		}
	}
	return nil
}

// prior is what the manifest already says about a key.
type prior struct {
	etag   uint64 // hash of the ETag
	size   int64
	status string
	table  string
}

// priors maps a hash of each key to its manifest entry: 8 bytes a key
// instead of the key itself, so a prefix of millions of keys stays small.
// Two keys with the same 64-bit hash would make the second look unchanged if
// its ETag hash also collided: odds far below any other failure.
type priors struct {
	seed maphash.Seed
	m    map[uint64]prior
}

func (p *priors) hash(s string) uint64 { return maphash.String(p.seed, s) }

func (p *priors) get(key string) (prior, bool) {
	e, ok := p.m[p.hash(key)]
	return e, ok
}

// loadPriors reads the manifest rows under prefix for one bucket.
func loadPriors(ctx context.Context, db *duck.DB, bucket, prefix string) (*priors, error) {
	p := &priors{seed: maphash.MakeSeed(), m: map[uint64]prior{}}
	rows, err := db.QueryContext(ctx,
		`SELECT key, coalesce(etag, ''), size, status, coalesce(target_table, '') FROM ingest_objects WHERE bucket = ? AND starts_with(key, ?)`,
		bucket, prefix)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, etag, status, table string
		var size int64
		if err := rows.Scan(&key, &etag, &size, &status, &table); err != nil {
			return nil, err
		}
		p.m[p.hash(key)] = prior{etag: p.hash(etag), size: size, status: status, table: table}
	}
	return p, rows.Err()
}
