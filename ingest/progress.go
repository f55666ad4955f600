package ingest

import "sync/atomic"

// Progress is a run's live counters. The loader updates them; a front end
// (the CLI's progress bar) reads them whenever it likes. The library itself
// never prints.
type Progress struct {
	ListedObjects atomic.Int64 // objects found so far (after filters)
	ListingDone   atomic.Bool  // the listing has finished: the counts below are final
	Unchanged     atomic.Int64 // already ingested, not read again
	QueuedObjects atomic.Int64 // objects to process
	QueuedBytes   atomic.Int64 // their listed size

	Objects atomic.Int64 // objects processed (any outcome)
	Bytes   atomic.Int64 // bytes read
	Rows    atomic.Int64 // rows decoded
	Failed  atomic.Int64
	Skipped atomic.Int64

	committed atomic.Int64 // objects committed to the database
}

// Committed is how many processed objects are safely in the database.
func (p *Progress) Committed() int64 { return p.committed.Load() }

func (p *Progress) objectDone(r *result) {
	p.Objects.Add(1)
	p.Bytes.Add(r.read)
	p.Rows.Add(r.stats.Rows)
	switch r.status {
	case StatusFailed:
		if !isCancel(r.err) {
			p.Failed.Add(1)
		}
	case StatusSkipped:
		p.Skipped.Add(1)
	}
}
