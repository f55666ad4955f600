package ingest

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// coalesceRows is the batch size the writer hands DuckDB at least, when it
// can: DuckDB turns every Arrow batch into chunks of its own (2048 rows a
// vector) and pays a fixed cost per chunk on insert, so an archive of small
// objects (one batch of a few rows each) inserts several times slower than
// the same rows in large batches.
const coalesceRows = 8192

// coalesce returns batches with runs of small batches concatenated into
// batches of about coalesceRows rows. Batches already that large pass
// through. The caller releases the returned batches (and still owns the
// ones it passed in).
func coalesce(schema *arrow.Schema, batches []arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	out := make([]arrow.RecordBatch, 0, len(batches))
	var run []arrow.RecordBatch
	var runRows int64
	flush := func() error {
		defer func() { run, runRows = run[:0], 0 }()
		switch len(run) {
		case 0:
			return nil
		case 1:
			run[0].Retain()
			out = append(out, run[0])
			return nil
		}
		b, err := concatBatches(schema, run, runRows)
		if err != nil {
			return err
		}
		out = append(out, b)
		return nil
	}
	for _, b := range batches {
		if b.NumRows() >= coalesceRows/2 {
			if err := flush(); err != nil {
				releaseAll(out)
				return nil, err
			}
			b.Retain()
			out = append(out, b)
			continue
		}
		run = append(run, b)
		runRows += b.NumRows()
		if runRows >= coalesceRows {
			if err := flush(); err != nil {
				releaseAll(out)
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		releaseAll(out)
		return nil, err
	}
	return out, nil
}

// concatBatches concatenates the columns of batches (which share schema).
func concatBatches(schema *arrow.Schema, batches []arrow.RecordBatch, rows int64) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	parts := make([]arrow.Array, len(batches))
	for i := range cols {
		for j, b := range batches {
			parts[j] = b.Column(i)
		}
		c, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			releaseArrays(cols[:i])
			return nil, err
		}
		cols[i] = c
	}
	b := array.NewRecordBatch(schema, cols, rows)
	releaseArrays(cols)
	return b, nil
}

func releaseAll(batches []arrow.RecordBatch) {
	for _, b := range batches {
		b.Release()
	}
}

func releaseArrays(arrays []arrow.Array) {
	for _, a := range arrays {
		if a != nil {
			a.Release()
		}
	}
}
