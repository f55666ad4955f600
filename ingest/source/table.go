package source

import (
	"fmt"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// Column is one column a decoder emits.
type Column struct {
	Name string
	Type arrow.DataType
	SQL  string // DuckDB type when it is not Type's natural one, e.g. "JSON"
	Doc  string // one line for docs/SCHEMA.md
}

// View is a view created over the source's table.
type View struct {
	Name string
	Doc  string
	SQL  string // the SELECT (without CREATE VIEW)
}

// Table describes the table one source fills. The loader appends the
// reference columns (source_bucket, source_key) to every table so that each
// row can be traced to the object it came from.
type Table struct {
	Name    string
	Doc     string
	Columns []Column
	// Key names the columns that identify a record across objects: AWS may
	// deliver the same record twice, and the loader keeps one copy (the one
	// from the lexically smallest source key, so the result does not depend
	// on load order). Empty means rows are only deduplicated per object.
	Key []string
	// Time names the column the coverage figures and the dedupe window use.
	Time  string
	Views []View
	// DDL holds further statements run after the table and its views are
	// created, e.g. CREATE OR REPLACE MACRO for a table macro. They must be
	// idempotent.
	DDL []string
	// Bookkeeping tables (the ingest manifest) have no reference columns.
	NoReference bool

	once       sync.Once
	schema     *arrow.Schema
	fullSchema *arrow.Schema
}

// Reference columns the loader appends to every table.
var ReferenceColumns = []Column{
	{Name: "source_bucket", Type: arrow.BinaryTypes.String, Doc: "bucket (or local directory) of the object the row came from"},
	{Name: "source_key", Type: arrow.BinaryTypes.String, Doc: "key of the object the row came from"},
}

// Schema is the Arrow schema Decode emits: the table's columns without the
// reference columns.
func (t *Table) Schema() *arrow.Schema {
	t.once.Do(func() {
		fields := make([]arrow.Field, len(t.Columns))
		for i, c := range t.Columns {
			fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
		}
		t.schema = arrow.NewSchema(fields, nil)
		for _, c := range t.AllColumns()[len(t.Columns):] {
			fields = append(fields, arrow.Field{Name: c.Name, Type: c.Type, Nullable: true})
		}
		t.fullSchema = arrow.NewSchema(fields, nil)
	})
	return t.schema
}

// FullSchema is Schema followed by the reference columns: the schema of the
// table itself.
func (t *Table) FullSchema() *arrow.Schema {
	t.Schema()
	return t.fullSchema
}

// AllColumns is Columns followed by the reference columns.
func (t *Table) AllColumns() []Column {
	if t.NoReference {
		return t.Columns
	}
	return append(append([]Column(nil), t.Columns...), ReferenceColumns...)
}

// CreateSQL returns the CREATE TABLE IF NOT EXISTS statement.
func (t *Table) CreateSQL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", t.Name)
	cols := t.AllColumns()
	for i, c := range cols {
		fmt.Fprintf(&b, "  %s %s", c.Name, c.SQLType())
		if i < len(cols)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(")")
	return b.String()
}

// SQLType is the column's DuckDB type.
func (c Column) SQLType() string {
	if c.SQL != "" {
		return c.SQL
	}
	return DuckType(c.Type)
}

// DuckType maps the Arrow types decoders use to DuckDB types.
func DuckType(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.StringType, *arrow.LargeStringType:
		return "VARCHAR"
	case *arrow.BooleanType:
		return "BOOLEAN"
	case *arrow.Int8Type:
		return "TINYINT"
	case *arrow.Int16Type:
		return "SMALLINT"
	case *arrow.Int32Type:
		return "INTEGER"
	case *arrow.Int64Type:
		return "BIGINT"
	case *arrow.Uint16Type:
		return "USMALLINT"
	case *arrow.Uint32Type:
		return "UINTEGER"
	case *arrow.Uint64Type:
		return "UBIGINT"
	case *arrow.Float64Type:
		return "DOUBLE"
	case *arrow.Date32Type:
		return "DATE"
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "TIMESTAMPTZ"
		}
		return "TIMESTAMP"
	case *arrow.ListType:
		return DuckType(t.Elem()) + "[]"
	}
	panic(fmt.Sprintf("source: no DuckDB type for Arrow %s", t))
}

// Timestamp is the Arrow type of every TIMESTAMPTZ column.
var Timestamp = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
