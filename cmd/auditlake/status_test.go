package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusFlowLogStatus: NODATA and SKIPDATA flow log records count in
// the coverage figures, and SKIPDATA days are named.
func TestStatusFlowLogStatus(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	key := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/10/01/123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261001T0005Z_1a2b3c4d.log.gz"
	// 2026-10-01T00:00:00Z is 1790812800.
	body := `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789012 eni-0a1b2c3d4e5f60001 - - - - - - - 1790812800 1790812860 - NODATA
2 123456789012 eni-0a1b2c3d4e5f60002 - - - - - - - 1790812800 1790812860 - SKIPDATA
2 123456789012 eni-0a1b2c3d4e5f60002 - - - - - - - 1790812860 1790812920 - SKIPDATA
2 123456789012 eni-0a1b2c3d4e5f60001 198.51.100.7 10.0.1.15 49152 443 6 3 180 1790812800 1790812860 ACCEPT OK
`
	path := filepath.Join(archive, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.duckdb")
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"--db", db, "--quiet", "ingest", archive}, &out, &errb); code != exitOK {
		t.Fatalf("ingest: exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"--db", db, "status"}, &out, &errb); code != exitOK {
		t.Fatalf("status: exit %d: %s", code, errb.String())
	}
	want := "VPC flow log records: 4, of which NODATA 1 (intervals without traffic) and SKIPDATA 2 (AWS skipped records: traffic incomplete on 2026-10-01"
	if !strings.Contains(out.String(), want) {
		t.Fatalf("status output lacks %q:\n%s", want, out.String())
	}
	out.Reset()
	q := "SELECT account_id, region, flow_log_id, day, records, ok_records, nodata_records, skipdata_records FROM vpc_flow_log_status"
	if code := run(ctx, []string{"--db", db, "sql", "--format", "csv", q}, &out, &errb); code != exitOK {
		t.Fatalf("sql: exit %d: %s", code, errb.String())
	}
	if got, want := strings.TrimSpace(out.String()), "account_id,region,flow_log_id,day,records,ok_records,nodata_records,skipdata_records\n123456789012,us-east-1,fl-0123456789abcdef0,2026-10-01T00:00:00Z,4,1,1,2"; got != want {
		t.Fatalf("vpc_flow_log_status:\n got %s\nwant %s", got, want)
	}
}
