//go:build !duckdb_arrow

package duck

// auditlake moves Arrow record batches into DuckDB through duckdb-go's Arrow
// interface, which is only compiled with the duckdb_arrow build tag. Build
// with `make build`, or pass -tags duckdb_arrow to go build / go test.
var _ = Build_with_tags_duckdb_arrow__see_Makefile
