package ingest

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var coalesceSchema = arrow.NewSchema([]arrow.Field{
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// batchOf makes a batch of rows numbered from first; every seventh s is NULL.
func batchOf(first, rows int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, coalesceSchema)
	defer b.Release()
	for i := first; i < first+rows; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%7 == 0 {
			b.Field(1).(*array.StringBuilder).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprint("row-", i))
		}
	}
	return b.NewRecordBatch()
}

func TestCoalesce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		want  []int // rows of each output batch
	}{
		{"empty", nil, nil},
		{"one small", []int{3}, []int{3}},
		{"small runs merge", []int{1, 2, 3, 4}, []int{10}},
		{"large pass through", []int{coalesceRows, 5000}, []int{coalesceRows, 5000}},
		{"small around large", []int{2, 3, 16384, 1, 1, 1}, []int{5, 16384, 3}},
		{"run ends once past the target", []int{4000, 4000, 4000, 100}, []int{12000, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in []arrow.RecordBatch
			next := 0
			for _, n := range tc.sizes {
				in = append(in, batchOf(next, n))
				next += n
			}
			out, err := coalesce(coalesceSchema, in)
			if err != nil {
				t.Fatal(err)
			}
			releaseAll(in) // the output must not depend on the inputs' references
			defer releaseAll(out)
			var got []int
			row := 0
			for _, b := range out {
				got = append(got, int(b.NumRows()))
				if !b.Schema().Equal(coalesceSchema) {
					t.Fatalf("schema %v", b.Schema())
				}
				ns := b.Column(0).(*array.Int64)
				ss := b.Column(1).(*array.String)
				for i := range int(b.NumRows()) {
					if ns.Value(i) != int64(row) {
						t.Fatalf("row %d: n = %d", row, ns.Value(i))
					}
					if wantNull := row%7 == 0; ss.IsNull(i) != wantNull || !wantNull && ss.Value(i) != fmt.Sprint("row-", row) {
						t.Fatalf("row %d: s = %q (null %v)", row, ss.Value(i), ss.IsNull(i))
					}
					row++
				}
			}
			if row != next {
				t.Fatalf("got %d rows, want %d", row, next)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("batch sizes %v, want %v", got, tc.want)
			}
		})
	}
}
