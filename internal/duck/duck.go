// Package duck opens auditlake's DuckDB database and moves Arrow record
// batches into it. Every other package reaches DuckDB through it, so the
// settings that make the database safe (no extension downloads, no file
// access from read-only sessions) are made in one place.
package duck

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Options control how the database is opened.
type Options struct {
	// ReadOnly opens the file read-only and disables DuckDB's access to
	// files and the network (COPY, ATTACH, read_csv, INSTALL, ...), locked
	// so that a query cannot turn it back on. `sql`, `detect` in dry runs
	// and `report` use it.
	ReadOnly bool
	// MemoryLimit caps DuckDB's own memory, e.g. "512MB". "" keeps DuckDB's
	// default (80% of RAM).
	MemoryLimit string
	// Threads caps DuckDB's worker threads; 0 keeps the default (all cores).
	Threads int
}

// DB is an open auditlake database.
type DB struct {
	*sql.DB
	Path     string
	ReadOnly bool
	conn     *duckdb.Connector
}

// ErrLocked is returned (wrapped) when another process holds the database.
var ErrLocked = errors.New("database is being written by another process")

// Open opens (creating if needed, unless read-only) the database at path.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if opts.ReadOnly {
		if _, err := os.Stat(abs); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("no database at %s: run 'auditlake ingest' first, or point --db / AUDITLAKE_DB at one", abs)
			}
			return nil, err
		}
	} else if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, err
	}
	dsn := abs
	if opts.ReadOnly {
		dsn += "?access_mode=read_only"
	}
	init := []string{
		// JSON and Parquet are built in; nothing is ever downloaded
		// (audit rooms are often air-gapped).
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
	}
	if opts.MemoryLimit != "" {
		init = append(init, fmt.Sprintf("SET memory_limit = '%s'", opts.MemoryLimit))
	}
	if opts.Threads > 0 {
		init = append(init, fmt.Sprintf("SET threads = %d", opts.Threads))
	}
	if opts.ReadOnly {
		init = append(init,
			"SET enable_external_access = false",
			"SET lock_configuration = true")
	} else {
		init = append(init,
			// Inserts may then run in parallel; row order within a table
			// carries no meaning in auditlake.
			"SET preserve_insertion_order = false",
			fmt.Sprintf("SET temp_directory = '%s'", strings.ReplaceAll(abs+".tmp", "'", "''")))
	}
	// The init function runs on every new connection of the pool, but every
	// setting above is global to the database instance, and once
	// lock_configuration is on, repeating a SET fails ("configuration has
	// been locked"). So the settings are made once, on the first connection.
	var (
		mu         sync.Mutex
		configured bool
	)
	connector, err := duckdb.NewConnector(dsn, func(execer driver.ExecerContext) error {
		mu.Lock()
		defer mu.Unlock()
		if configured {
			return nil
		}
		for _, stmt := range init {
			if _, err := execer.ExecContext(ctx, stmt, nil); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		configured = true
		return nil
	})
	if err != nil {
		return nil, openError(abs, err)
	}
	db := sql.OpenDB(connector)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, openError(abs, err)
	}
	return &DB{DB: db, Path: abs, ReadOnly: opts.ReadOnly, conn: connector}, nil
}

// lockHolder picks the program and pid out of DuckDB's lock conflict
// message ("Conflicting lock is held in /usr/bin/auditlake (PID 4242)").
var lockHolder = regexp.MustCompile(`held in (.+?) \(PID (\d+)\)`)

func openError(path string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "Could not set lock on file") || strings.Contains(msg, "Conflicting lock") {
		// DuckDB lets one process write a file and no other process open
		// it, not even read-only: say who holds it and what to do, in the
		// user's terms rather than DuckDB's.
		who := "another auditlake process"
		if m := lockHolder.FindStringSubmatch(msg); m != nil {
			if prog := filepath.Base(m[1]); strings.HasPrefix(prog, "auditlake") {
				who += " (pid " + m[2] + ")"
			} else {
				who = "another process (" + prog + ", pid " + m[2] + ")"
			}
		}
		return &lockedError{msg: fmt.Sprintf("%s: database is being written by %s — retry when it finishes (ingest, detect and report hold the file while they run), or use another --db", path, who)}
	}
	return fmt.Errorf("open %s: %w", path, err)
}

// lockedError is ErrLocked with the path and the holder.
type lockedError struct{ msg string }

func (e *lockedError) Error() string { return e.msg }
func (e *lockedError) Unwrap() error { return ErrLocked }

// Close closes the database.
func (db *DB) Close() error {
	err := db.DB.Close()
	if db.conn != nil {
		err = errors.Join(err, db.conn.Close())
	}
	return err
}

// Conn is one dedicated connection, for transactions and Arrow views (both
// are per connection in DuckDB).
type Conn struct {
	*sql.Conn
}

// Conn returns a dedicated connection; the caller closes it.
func (db *DB) Conn(ctx context.Context) (*Conn, error) {
	c, err := db.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: c}, nil
}

// ExecArrow runs stmt (which reads FROM the view name) with the record
// batches registered as that view, and returns the rows stmt affected. The
// batches must share one schema; ExecArrow does not release them.
//
// DuckDB scans the view once, as a stream: stmt must be a plain
// INSERT ... SELECT ... FROM name: DuckDB copies the rows into its storage as
// it scans. Anything that keeps values from the view beyond the scan
// (aggregates, join hash tables) may point into Arrow buffers already handed
// back; max() over a view's strings crashes duckdb-go 1.5.x. Nor may stmt
// filter the view: duckdb-go 1.5.x ignores the filters DuckDB pushes down
// into the Arrow scan, so a WHERE on the view is silently dropped (pinned by
// TestExecArrow).
func (c *Conn) ExecArrow(ctx context.Context, name string, schema *arrow.Schema, batches []arrow.RecordBatch, stmt string, args ...any) (int64, error) {
	if len(batches) == 0 {
		return 0, nil
	}
	var affected int64
	err := c.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rr, err := array.NewRecordReader(schema, batches)
		if err != nil {
			return err
		}
		defer rr.Release()
		release, err := ar.RegisterView(rr, name)
		if err != nil {
			return fmt.Errorf("register arrow view %s: %w", name, err)
		}
		defer release()
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
		res, err := dc.(driver.ExecerContext).ExecContext(ctx, stmt, named)
		if err != nil {
			return err
		}
		affected, err = res.RowsAffected()
		if err != nil {
			return err
		}
		// Drop the view so that a later statement cannot scan a released
		// stream.
		_, err = dc.(driver.ExecerContext).ExecContext(ctx, "DROP VIEW IF EXISTS "+name, nil)
		return err
	})
	return affected, err
}

// Tx runs fn in a transaction on the connection: committed if fn returns
// nil, rolled back otherwise (also when ctx is cancelled).
func (c *Conn) Tx(ctx context.Context, fn func() error) (err error) {
	if _, err := c.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Roll back even when ctx is done: the connection is reused.
			if _, rbErr := c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
				err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
			}
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	_, err = c.ExecContext(context.WithoutCancel(ctx), "COMMIT")
	return err
}
