package flowlogs

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/auditlake/auditlake/ingest/source"
)

// Columns after the catalogue's, which take positions 0..numFieldColumns-1.
var (
	colExtra        = numFieldColumns
	colKeyAccount   = colExtra + 1
	colKeyRegion    = colExtra + 2
	colKeyFlowLogID = colExtra + 3
	numColumns      = colExtra + 4
)

func arrowType(k kind) arrow.DataType {
	switch k {
	case kInt32:
		return arrow.PrimitiveTypes.Int32
	case kInt64:
		return arrow.PrimitiveTypes.Int64
	case kEpoch:
		return source.Timestamp
	}
	return arrow.BinaryTypes.String
}

var table = func() *source.Table {
	cols := make([]source.Column, 0, numColumns)
	for _, f := range catalogue {
		if f.Column != "" {
			cols = append(cols, source.Column{Name: f.Column, Type: arrowType(f.Kind), Doc: f.Doc})
		}
	}
	str := arrow.BinaryTypes.String
	cols = append(cols,
		source.Column{Name: "extra", Type: str, SQL: "JSON", Doc: "fields without a column of their own, as an object keyed by field name in the text header's spelling: transit gateway fields (`{\"tgw-id\":\"tgw-0a1b\",\"packets-lost-blackhole\":2}`) and fields this version of auditlake does not know (as text); NULL when there are none"},
		source.Column{Name: "key_account_id", Type: str, Doc: "account from the object key (the delivery partition); account_id is the record's own"},
		source.Column{Name: "key_region", Type: str, Doc: "Region from the object key; region is the record's own (version 4 field)"},
		source.Column{Name: "key_flow_log_id", Type: str, Doc: "flow log (`fl-...`) from the object's file name, when it has one"},
	)
	return &source.Table{
		Name: "vpc_flow",
		Doc: "One row per VPC (or transit gateway) flow log record, from text or Parquet objects, in any field order or format version; " +
			"NODATA and SKIPDATA records are kept (log_status says which). Flow records have no identity: rows are only replaced per object.",
		Time:    "start_time",
		Columns: cols,
		DDL:     ddl,
	}
}()

// Table describes the vpc_flow table.
func Table() *source.Table { return table }

// ddl holds the address macros and the view that uses them. DuckDB binds a
// view when it is created, so the view is here, after the macros, not in
// Table.Views (created before Table.DDL).
//
// Addresses are VARCHAR (no INET extension at run time), so the checks are
// string prefixes and octet casts: cheap enough to run over every row of a
// large table. They assume addresses as AWS writes them (dotted quads, IPv6
// in lower or upper case, IPv4-mapped IPv6 as ::ffff:a.b.c.d) and do not
// validate them: "10.x" counts as private.
var ddl = []string{
	`-- ipv4_of(addr): the IPv4 address in addr (itself, or the tail of an
-- IPv4-mapped IPv6 address such as ::ffff:10.0.0.1), else NULL.
CREATE OR REPLACE MACRO ipv4_of(addr) AS
  CASE WHEN NOT contains(addr, ':') THEN addr
       WHEN starts_with(lower(addr), '::ffff:') AND contains(addr, '.') THEN substr(addr, 8)
  END`,
	`-- is_private_ip(addr): RFC 1918 (10/8, 172.16/12, 192.168/16), CGNAT
-- (100.64/10, RFC 6598), loopback (127/8, ::1), link-local (169.254/16,
-- fe80::/10) and IPv6 unique local (fc00::/7), also IPv4-mapped.
-- NULL for NULL, '' and '-'.
CREATE OR REPLACE MACRO is_private_ip(addr) AS
  CASE WHEN addr IS NULL OR addr IN ('', '-') THEN NULL
       WHEN ipv4_of(addr) IS NOT NULL THEN
         starts_with(ipv4_of(addr), '10.') OR starts_with(ipv4_of(addr), '192.168.')
         OR starts_with(ipv4_of(addr), '127.') OR starts_with(ipv4_of(addr), '169.254.')
         OR (starts_with(ipv4_of(addr), '172.') AND coalesce(TRY_CAST(split_part(ipv4_of(addr), '.', 2) AS INTEGER) BETWEEN 16 AND 31, false))
         OR (starts_with(ipv4_of(addr), '100.') AND coalesce(TRY_CAST(split_part(ipv4_of(addr), '.', 2) AS INTEGER) BETWEEN 64 AND 127, false))
       ELSE lower(addr) = '::1' OR regexp_matches(lower(addr), '^(f[cd][0-9a-f]{2}|fe[89ab][0-9a-f]):')
  END`,
	`-- is_public_ip(addr): an address that can be on the internet: not private,
-- not unspecified (0.0.0.0/8, ::), not multicast or reserved (224.0.0.0 and
-- up, ff00::/8). Documentation ranges (203.0.113.0/24, 2001:db8::/32) count
-- as public on purpose: AWS's own examples use them as internet hosts.
CREATE OR REPLACE MACRO is_public_ip(addr) AS
  CASE WHEN addr IS NULL OR addr IN ('', '-') THEN NULL
       WHEN is_private_ip(addr) THEN false
       WHEN ipv4_of(addr) IS NOT NULL THEN
         NOT starts_with(ipv4_of(addr), '0.') AND coalesce(TRY_CAST(split_part(ipv4_of(addr), '.', 1) AS INTEGER) < 224, false)
       ELSE lower(addr) NOT IN ('::', '0:0:0:0:0:0:0:0') AND NOT regexp_matches(lower(addr), '^ff[0-9a-f]{2}:')
  END`,
	`-- vpc_flow_enriched: vpc_flow with the packet-level addresses preferred
-- (the original client behind a NAT gateway or load balancer), protocol
-- names, and which end is on the internet: what network detections filter on.
CREATE OR REPLACE VIEW vpc_flow_enriched AS
SELECT *,
  coalesce(pkt_srcaddr, srcaddr) AS src_ip,
  coalesce(pkt_dstaddr, dstaddr) AS dst_ip,
  CASE protocol WHEN 1 THEN 'ICMP' WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 58 THEN 'ICMPv6'
    WHEN 47 THEN 'GRE' WHEN 50 THEN 'ESP' WHEN 51 THEN 'AH' WHEN 132 THEN 'SCTP'
    ELSE CAST(protocol AS VARCHAR) END AS protocol_name,
  is_public_ip(coalesce(pkt_srcaddr, srcaddr)) AS src_is_public,
  is_public_ip(coalesce(pkt_dstaddr, dstaddr)) AS dst_is_public
FROM vpc_flow`,
	`-- vpc_flow_log_status: the coverage figures of flow logs themselves, per
-- delivery partition (account and Region of the key), flow log and day:
-- records of each log_status. NODATA means the interface had no traffic in
-- the interval; SKIPDATA means AWS skipped records (capacity or internal
-- error), so the traffic of that interval is incomplete: an auditor must
-- know.
CREATE OR REPLACE VIEW vpc_flow_log_status AS
SELECT key_account_id AS account_id, key_region AS region, key_flow_log_id AS flow_log_id,
  CAST(start_time AT TIME ZONE 'UTC' AS DATE) AS day,
  count(*) AS records,
  count(*) FILTER (WHERE log_status = 'OK' OR log_status IS NULL) AS ok_records,
  count(*) FILTER (WHERE log_status = 'NODATA') AS nodata_records,
  count(*) FILTER (WHERE log_status = 'SKIPDATA') AS skipdata_records
FROM vpc_flow
GROUP BY ALL`,
}
