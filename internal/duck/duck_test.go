package duck

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func newDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (id INTEGER, name VARCHAR); INSERT INTO t VALUES (1, 'a'), (2, 'b')"); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadOnlyLockedDown proves what `auditlake sql` relies on: a read-only
// handle can read, but cannot write the database, reach files or the
// network, load extensions, or switch those protections back on.
func TestReadOnlyLockedDown(t *testing.T) {
	ctx := context.Background()
	path := newDB(t)
	outside := filepath.Join(t.TempDir(), "secret.csv")
	if err := os.WriteFile(outside, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var n int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("read: n=%d err=%v", n, err)
	}
	written := filepath.Join(t.TempDir(), "out.csv")
	refused := map[string]string{
		"insert":           "INSERT INTO t VALUES (3, 'c')",
		"create":           "CREATE TABLE u (x INTEGER)",
		"copy to":          "COPY t TO '" + written + "'",
		"read_csv":         "SELECT * FROM read_csv('" + outside + "')",
		"attach":           "ATTACH '" + filepath.Join(t.TempDir(), "other.duckdb") + "' AS o",
		"install":          "INSTALL httpfs",
		"load":             "LOAD httpfs",
		"re-enable access": "SET enable_external_access = true",
		"unlock":           "SET lock_configuration = false",
		"autoinstall":      "SET autoinstall_known_extensions = true",
	}
	for name, stmt := range refused {
		if _, err := db.ExecContext(ctx, stmt); err == nil {
			t.Errorf("%s: %q succeeded on a read-only handle", name, stmt)
		}
	}
	if _, err := os.Stat(written); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("COPY wrote %s", written)
	}
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after refused writes: n=%d err=%v", n, err)
	}
}

func TestOpenReadOnlyMissing(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "none.duckdb"), Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "auditlake ingest") {
		t.Fatalf("want an error that says to ingest first, got %v", err)
	}
}

func TestTxCommitAndRollback(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, newDB(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	boom := errors.New("boom")
	err = c.Tx(ctx, func() error {
		if _, err := c.ExecContext(ctx, "INSERT INTO t VALUES (3, 'c')"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want boom", err)
	}
	if err := c.Tx(ctx, func() error {
		_, err := c.ExecContext(ctx, "INSERT INTO t VALUES (4, 'd')")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var ids string
	if err := db.QueryRow("SELECT string_agg(id::VARCHAR, ',' ORDER BY id) FROM t").Scan(&ids); err != nil {
		t.Fatal(err)
	}
	if ids != "1,2,4" {
		t.Fatalf("ids = %s, want 1,2,4 (the rolled-back insert must be gone)", ids)
	}
}

func TestExecArrow(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, newDB(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	var batches []arrow.RecordBatch
	for i := range 3 {
		for j := range 1000 {
			b.Field(0).(*array.Int32Builder).Append(int32(10 + i*1000 + j))
			if j%10 == 0 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append("row")
			}
		}
		batches = append(batches, b.NewRecordBatch())
	}
	defer func() {
		for _, r := range batches {
			r.Release()
		}
	}()
	n, err := c.ExecArrow(ctx, "batch_view", schema, batches, "INSERT INTO t SELECT id + $1, name FROM batch_view", 100000)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3000 {
		t.Fatalf("affected %d rows, want 3000", n)
	}
	var nulls, lo, hi int
	if err := db.QueryRow("SELECT count(*) FILTER (WHERE name IS NULL), min(id), max(id) FROM t WHERE id >= 100000").Scan(&nulls, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if nulls != 300 || lo != 100010 || hi != 103009 {
		t.Fatalf("nulls=%d ids %d..%d, want 300 NULL names and ids 100010..103009", nulls, lo, hi)
	}
	// duckdb-go 1.5.x drops filters DuckDB pushes into an Arrow view scan:
	// a WHERE on the view is silently ignored. ExecArrow's callers never
	// filter the view; this pins the behaviour so that an upgrade that
	// fixes it is noticed (and the documentation updated).
	n, err = c.ExecArrow(ctx, "batch_view", schema, batches, "INSERT INTO t SELECT id + 200000, name FROM batch_view WHERE id >= 15")
	if err != nil {
		t.Fatal(err)
	}
	if n != 3000 {
		t.Logf("duckdb-go now applies filters on Arrow views (%d rows): update ExecArrow's documentation", n)
	}
	// The view is gone afterwards: a later statement cannot scan released buffers.
	if _, err := c.ExecContext(ctx, "SELECT * FROM batch_view"); err == nil {
		t.Fatal("the Arrow view outlived ExecArrow")
	}
}

// TestReadOnlyManyConnections: every connection of a read-only handle can
// query, and every one of them is locked down (the settings are global to
// the database instance, made once).
func TestReadOnlyManyConnections(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, newDB(t), Options{ReadOnly: true, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var conns []*Conn
	for range 4 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var n int
		var access, threads string
		if err := c.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM t), current_setting('enable_external_access')::VARCHAR, current_setting('threads')::VARCHAR").Scan(&n, &access, &threads); err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		if n != 2 || access != "false" || threads != "1" {
			t.Errorf("connection %d: rows=%d enable_external_access=%s threads=%s", i+1, n, access, threads)
		}
		if _, err := c.ExecContext(ctx, "SET enable_external_access = true"); err == nil {
			t.Errorf("connection %d could turn external access back on", i+1)
		}
		c.Close()
	}
}
