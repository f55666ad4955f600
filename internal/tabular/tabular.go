// Package tabular renders query results as an aligned text table, CSV
// (RFC 4180), a JSON array or JSON lines. Values are formatted the same way
// in every format: times as ISO 8601 UTC, nested DuckDB values (JSON, lists,
// structs) as JSON text.
package tabular

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/google/uuid"
)

// Formats are the accepted format names.
var Formats = []string{"table", "csv", "json", "jsonl"}

// Options tune the table format.
type Options struct {
	MaxWidth int // widest cell in the table format (0: 60); longer values are cut with "…"
	MaxRows  int // rows the table format shows before saying how many more there were (0: all)
}

// Write renders rows in format to w and returns the number of rows.
func Write(w io.Writer, rows *sql.Rows, format string, opts Options) (int, error) {
	cols, err := rows.ColumnTypes()
	if err != nil {
		return 0, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name()
	}
	next := func() ([]any, error) {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		return vals, nil
	}
	n := 0
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(names); err != nil {
			return 0, err
		}
		rec := make([]string, len(cols))
		for rows.Next() {
			vals, err := next()
			if err != nil {
				return n, err
			}
			for i, v := range vals {
				rec[i] = Text(v)
			}
			if err := cw.Write(rec); err != nil {
				return n, err
			}
			n++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
	case "json", "jsonl":
		if format == "json" {
			io.WriteString(w, "[")
		}
		for rows.Next() {
			vals, err := next()
			if err != nil {
				return n, err
			}
			obj := orderedObject{names: names, vals: make([]any, len(vals))}
			for i, v := range vals {
				obj.vals[i] = JSONValue(v)
			}
			b, err := json.Marshal(obj)
			if err != nil {
				return n, err
			}
			switch {
			case format == "jsonl":
				b = append(b, '\n')
			case n > 0:
				b = append([]byte(",\n"), b...)
			default:
				b = append([]byte("\n"), b...)
			}
			if _, err := w.Write(b); err != nil {
				return n, err
			}
			n++
		}
		if format == "json" {
			io.WriteString(w, "\n]\n")
		}
	case "table":
		var all [][]string
		more := 0
		for rows.Next() {
			vals, err := next()
			if err != nil {
				return n, err
			}
			n++
			if opts.MaxRows > 0 && len(all) >= opts.MaxRows {
				more++
				continue
			}
			rec := make([]string, len(vals))
			for i, v := range vals {
				rec[i] = oneLine(Text(v))
				if v == nil {
					rec[i] = "NULL"
				}
			}
			all = append(all, rec)
		}
		if err := rows.Err(); err != nil {
			return n, err
		}
		writeTable(w, names, all, opts)
		switch {
		case more > 0:
			fmt.Fprintf(w, "(%d rows, first %d shown; use --format csv or --max-rows 0 for all)\n", n, len(all))
		case n == 1:
			fmt.Fprintln(w, "(1 row)")
		default:
			fmt.Fprintf(w, "(%d rows)\n", n)
		}
	default:
		return 0, fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
	}
	return n, rows.Err()
}

func writeTable(w io.Writer, names []string, rows [][]string, opts Options) {
	maxW := opts.MaxWidth
	if maxW <= 0 {
		maxW = 60
	}
	widths := make([]int, len(names))
	for i, n := range names {
		widths[i] = min(utf8.RuneCountInString(n), maxW)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], min(utf8.RuneCountInString(c), maxW))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString(" │ ")
			}
			c = cut(c, maxW)
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(names)
	var sep strings.Builder
	for i, wd := range widths {
		if i > 0 {
			sep.WriteString("─┼─")
		}
		sep.WriteString(strings.Repeat("─", wd))
	}
	fmt.Fprintln(w, sep.String())
	for _, r := range rows {
		line(r)
	}
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") {
		return s
	}
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", " ").Replace(s)
}

// Text formats one value as text (CSV cells, table cells).
func Text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		if len(v) == 16 && !utf8.Valid(v) {
			if u, err := uuid.FromBytes(v); err == nil {
				return u.String()
			}
		}
		return string(v)
	case time.Time:
		return FormatTime(v)
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return fmt.Sprint(v)
	case *big.Int:
		return v.String()
	case duckdb.Decimal:
		return decimalText(v)
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %dµs", v.Months, v.Days, v.Micros)
	default:
		b, err := json.Marshal(JSONValue(v))
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

// decimalText writes a DECIMAL with all the digits of its scale (0.0 stays
// 0.0: duckdb-go's String drops trailing zeros, so 1.50 and 1.5 would differ
// from what the DuckDB CLI shows).
func decimalText(d duckdb.Decimal) string {
	if d.Value == nil {
		return "0"
	}
	digits := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale)
	if scale == 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

// FormatTime formats times as ISO 8601 in UTC; dates (midnight UTC) without
// a time part would be ambiguous with timestamps, so they keep it.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
}

// JSONValue converts a scanned value into something encoding/json renders
// faithfully.
func JSONValue(v any) any {
	switch v := v.(type) {
	case time.Time:
		return FormatTime(v)
	case []byte:
		return Text(v)
	case *big.Int:
		return json.Number(v.String())
	case duckdb.Decimal:
		return json.Number(decimalText(v))
	case duckdb.Interval:
		return Text(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = JSONValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = JSONValue(e)
		}
		return out
	}
	return v
}

// orderedObject marshals as a JSON object keeping the column order.
type orderedObject struct {
	names []string
	vals  []any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range o.names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}
