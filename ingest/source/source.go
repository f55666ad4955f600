// Package source defines what one AWS log type must provide to be ingested:
// how its keys are laid out, how to recognise its content, the table it
// fills, and a decoder from bytes to Arrow records.
//
// A Source is pure. It never lists a bucket, opens the database or retries a
// download; the loader in package ingest does that for every source alike.
package source

import (
	"context"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Source decodes one AWS log type into Arrow records for one table.
type Source interface {
	// Name is the source's name as users see it: "cloudtrail",
	// "config", "credential_report", "vpc_flow".
	Name() string
	// Table describes the table the decoded records go to.
	Table() *Table
	// Layouts are the key layouts this source recognises, most specific
	// first. The loader also uses them to prune listings by account, region
	// and date.
	Layouts() []*Layout
	// Classify decides what an object whose key matched one of Layouts is:
	// loadable, or recorded and skipped (digest files, writability checks).
	Classify(key string, m LayoutMatch) Match
	// Sniff recognises the source's content from the first bytes of an
	// object (decompressed) whose key matched no layout.
	Sniff(head []byte) bool
	// Decode reads one object's decompressed body and emits its rows as
	// record batches with exactly Table().Schema(). emit takes ownership of
	// the batch. Decode returns what it read; bad records that can be
	// skipped are counted in Stats and do not make Decode fail. A returned
	// error means the object as a whole is unusable: the loader then
	// discards everything emitted for it.
	//
	// When the loader knows the body is seekable (a spooled Parquet object,
	// say) body also implements io.ReaderAt and Sizer.
	Decode(ctx context.Context, obj Object, body io.Reader, emit func(arrow.RecordBatch) error) (Stats, error)
}

// Sizer is implemented by a body whose total size is known.
type Sizer interface{ Size() int64 }

// Object is what a decoder knows about the object it decodes.
type Object struct {
	Bucket    string
	Key       string
	Size      int64
	Kind      string // from Classify, e.g. "cloudtrail_insight"
	Partition Partition
}

// Partition is where an object sits in the archive, from its key.
type Partition struct {
	Org     string    // "o-abc123" for organisation trails, else ""
	Account string    // "123456789012"
	Region  string    // "eu-west-1"
	Day     time.Time // UTC midnight of the key's date; zero if none
}

// Match classifies one object.
type Match struct {
	Kind      string // the manifest's log_type, e.g. "cloudtrail", "cloudtrail_digest"
	Partition Partition
	Load      bool   // false: record the object in the manifest, do not decode it
	Note      string // why it is not loaded, for the manifest and summary
}

// Stats is what Decode read from one object.
type Stats struct {
	Rows    int64    // rows emitted
	Skipped int64    // records that could not be used and were skipped
	Samples []string // a few messages about skipped records
	// Partition, when non-nil, replaces the key's partition: some objects
	// (credential reports outside the suggested layout) only say in their
	// content which account and day they belong to.
	Partition *Partition
}

// MaxSamples is how many skipped-record messages Stats keeps.
const MaxSamples = 5

// Skip counts one skipped record and keeps its message if there is room.
func (s *Stats) Skip(msg string) {
	s.Skipped++
	if len(s.Samples) < MaxSamples {
		s.Samples = append(s.Samples, msg)
	}
}
