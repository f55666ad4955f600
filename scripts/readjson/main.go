// Command readjson is the baseline of scripts/bench.sh: it loads the same
// CloudTrail files into a fresh DuckDB file with DuckDB's own read_json, so
// that auditlake's ingest speed can be quoted as a ratio measured on the
// same machine in the same run.
//
// read_json cannot load CloudTrail with format='auto' and nothing else: each
// object is one {"Records":[...]} document, auto-detection samples a few
// objects and then fails on fields it did not see (or infers a different
// struct per sample). The baseline therefore names the columns explicitly:
// Records as a list of structs holding the top-level fields auditlake keeps
// as typed columns, with the nested payloads (userIdentity,
// requestParameters, responseElements, resources, ...) as JSON. One row per
// event, as auditlake's cloudtrail table.
//
//	go run -tags duckdb_arrow ./scripts/readjson --db /tmp/base.duckdb 'dir/**/CloudTrail/**/*.json.gz'
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// recordStruct is the explicit type of one CloudTrail record.
const recordStruct = `STRUCT(
  eventTime TIMESTAMP, eventID VARCHAR, eventVersion VARCHAR, eventSource VARCHAR, eventName VARCHAR,
  eventType VARCHAR, eventCategory VARCHAR, awsRegion VARCHAR, sourceIPAddress VARCHAR, userAgent VARCHAR,
  errorCode VARCHAR, errorMessage VARCHAR, readOnly BOOLEAN, managementEvent BOOLEAN,
  recipientAccountId VARCHAR, requestID VARCHAR, sharedEventID VARCHAR, vpcEndpointId VARCHAR,
  apiVersion VARCHAR, sessionCredentialFromConsole VARCHAR,
  userIdentity JSON, requestParameters JSON, responseElements JSON, additionalEventData JSON,
  resources JSON, serviceEventDetails JSON, tlsDetails JSON, insightDetails JSON)`

func main() {
	dbPath := flag.String("db", "readjson.duckdb", "database file to create (removed first)")
	memory := flag.String("memory-limit", "", "DuckDB memory_limit (default: DuckDB's, 80% of RAM)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: readjson [--db FILE] 'GLOB'")
		os.Exit(2)
	}
	if err := run(*dbPath, *memory, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "readjson:", err)
		os.Exit(1)
	}
}

func run(dbPath, memory, glob string) error {
	for _, p := range []string{dbPath, dbPath + ".wal"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	ctx := context.Background()
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	settings := []string{"SET preserve_insertion_order = false"}
	if memory != "" {
		settings = append(settings, "SET memory_limit = '"+strings.ReplaceAll(memory, "'", "''")+"'")
	}
	for _, s := range settings {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	start := time.Now()
	q := fmt.Sprintf(`CREATE TABLE cloudtrail AS
SELECT unnest(Records, recursive := true) FROM read_json('%s', format = 'auto', records = true,
  columns = {Records: '%s[]'})`,
		strings.ReplaceAll(glob, "'", "''"), strings.Join(strings.Fields(recordStruct), " "))
	if _, err := db.ExecContext(ctx, q); err != nil {
		return err
	}
	var rows int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM cloudtrail").Scan(&rows); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return err
	}
	el := time.Since(start)
	// One line, read by scripts/bench.sh.
	fmt.Printf("rows=%d seconds=%.3f rows_per_s=%.0f\n", rows, el.Seconds(), float64(rows)/el.Seconds())
	return nil
}
