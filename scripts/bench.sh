#!/usr/bin/env bash
# bench.sh measures end-to-end ingest speed and writes the figures into
# docs/BENCHMARKS.md (between the bench:begin/bench:end markers). `make bench`
# runs it.
#
# Cases (archives made by `auditlake generate`, cached under .cache/bench/,
# keyed by the generate flags):
#   ct-large   ~1M CloudTrail events in objects of 500 events (local gzip files)
#   ct-small   ~20k CloudTrail events in ~13k objects as AWS delivers them
#              (plus ~4k digest files: ~17.7k objects listed)
#   flow       ~2.8M VPC flow log records (text, version 2)
#   baseline   DuckDB's own read_json on the ct-large files, same run
#   s3-*       ct-large and ct-small again through MinIO on loopback
# Every case runs BENCH_RUNS times (default 3) into a fresh database; the
# table shows medians (wall, CPU = user+sys, peak RSS).
#
# Environment:
#   BENCH_RUNS=3        runs per case
#   BENCH_S3=1          0 skips the MinIO cases (needs a minio binary: make tools)
#   BENCH_GO=1          0 skips the Go micro-benchmarks
#   BENCH_CASES="..."   subset of: ct-large baseline ct-small flow s3
#   BENCH_WRITE_DOC=1   0 prints the table without touching docs/BENCHMARKS.md
#   BENCH_PROFILE=FILE  also writes a CPU profile of one ct-large ingest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

GO=${GO:-go}
RUNS=${BENCH_RUNS:-3}
CASES=${BENCH_CASES:-"ct-large baseline ct-small flow s3"}
CACHE=.cache/bench
WORK=$CACHE/work
BIN=bin/auditlake
DOC=docs/BENCHMARKS.md
mkdir -p "$CACHE/data" "$WORK" bin

log() { echo "bench.sh: $*" >&2; }
want() { [[ " $CASES " == *" $1 "* ]]; }

log "building $BIN and the helpers"
"$GO" build -tags duckdb_arrow -buildvcs=false -o "$BIN" ./cmd/auditlake
"$GO" build -tags duckdb_arrow -buildvcs=false -o "$WORK/readjson" ./scripts/readjson
"$GO" build -tags duckdb_arrow -buildvcs=false -o "$WORK/s3put" ./scripts/s3put

# generate FLAGS... prints the cached archive directory for these flags.
generate() {
	local key dir
	key=$(echo "$*" | sha256sum | cut -c1-12)
	dir=$CACHE/data/$key
	# The marker sits beside the archive: a file inside it would be
	# ingested (as an unrecognised object).
	if [[ ! -f $dir.complete ]]; then
		log "generating $* -> $dir"
		rm -rf "$dir"
		"$BIN" -q generate --out "$dir" "$@"
		echo "$*" >"$dir.complete"
	fi
	echo "$dir"
}

CT_LARGE_FLAGS=(--days 2 --events-per-day 500000 --events-per-file 500 --sources cloudtrail --incidents=false)
CT_SMALL_FLAGS=(--days 1 --events-per-day 20000 --accounts 44 --regions us-east-1,eu-west-1,eu-central-1,ap-southeast-1 --sources cloudtrail --incidents=false)
FLOW_FLAGS=(--days 2 --flow-records-per-day 1500000 --sources vpc_flow --incidents=false)

RESULTS=$WORK/results.tsv # case run wall cpu rss_kb rows
: >"$RESULTS"

# measure CASE ROWS_FILE CMD... runs CMD under GNU time (or a /proc sampling
# loop) and appends a line to $RESULTS. The command's stdout goes to
# ROWS_FILE; rows are read from it (ingest --output json: "Rows"; readjson:
# rows=).
measure() {
	local name=$1 out=$2
	shift 2
	local tf=$WORK/time.txt wall cpu rss rows
	if /usr/bin/time -f '' true 2>/dev/null; then
		/usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$out"
		read -r wall u s rss <"$tf"
		cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')
	else
		# No GNU time: sample VmHWM (peak RSS) from /proc while it runs.
		local t0 pid hwm=0 h
		t0=$(date +%s.%N)
		"$@" >"$out" &
		pid=$!
		while kill -0 "$pid" 2>/dev/null; do
			h=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
			[[ -n $h && $h -gt $hwm ]] && hwm=$h
			read -r _ _ _ _ _ _ _ _ _ _ _ _ _ ut st _ <"/proc/$pid/stat" 2>/dev/null && cpu=$(((ut + st) * 100 / $(getconf CLK_TCK)))
			sleep 0.05
		done
		wait "$pid"
		wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
		cpu=$(awk -v c="${cpu:-0}" 'BEGIN{printf "%.2f", c/100}')
		rss=$hwm
	fi
	rows=$(sed -n 's/.*"Rows": *\([0-9]*\).*/\1/p; s/^rows=\([0-9]*\).*/\1/p' "$out" | head -1)
	echo -e "$name\t$wall\t$cpu\t$rss\t${rows:-0}" >>"$RESULTS"
	log "$name: ${wall}s wall, ${cpu}s cpu, $((rss / 1024)) MiB peak, ${rows:-?} rows"
}

# ingest CASE LOCATION [flags...]: one ingest into a fresh database.
ingest() {
	local name=$1 loc=$2
	shift 2
	rm -rf "$WORK/db.duckdb" "$WORK/db.duckdb.wal" "$WORK/db.duckdb.tmp"
	measure "$name" "$WORK/out.json" "$BIN" --db "$WORK/db.duckdb" ingest --output json "$loc" "$@"
	if ! grep -q '"Failed": 0' "$WORK/out.json"; then
		log "$name: objects failed:"
		cat "$WORK/out.json" >&2
		exit 1
	fi
}

if want ct-large || want baseline || want s3; then CT_LARGE=$(generate "${CT_LARGE_FLAGS[@]}"); fi
if want ct-small || want s3; then CT_SMALL=$(generate "${CT_SMALL_FLAGS[@]}"); fi
if want flow; then FLOW=$(generate "${FLOW_FLAGS[@]}"); fi

for i in $(seq "$RUNS"); do
	# Interleaved, so that a noisy minute on a shared machine hits every
	# case rather than all runs of one.
	if want ct-large; then ingest ct-large "$CT_LARGE/"; fi
	if want baseline; then
		measure baseline "$WORK/readjson.txt" "$WORK/readjson" --db "$WORK/readjson.duckdb" "$CT_LARGE/AWSLogs/*/*/CloudTrail/**/*.json.gz"
		rm -f "$WORK/readjson.duckdb" "$WORK/readjson.duckdb.wal"
	fi
	if want ct-small; then ingest ct-small "$CT_SMALL/"; fi
	if want flow; then ingest flow "$FLOW/"; fi
done

if [[ -n ${BENCH_PROFILE:-} ]] && want ct-large; then
	rm -rf "$WORK/db.duckdb" "$WORK/db.duckdb.wal"
	"$BIN" -q --db "$WORK/db.duckdb" ingest --cpuprofile "$BENCH_PROFILE" "$CT_LARGE/"
	log "CPU profile in $BENCH_PROFILE: go tool pprof -top $BIN $BENCH_PROFILE"
fi

# MinIO on loopback: upload once (s3put skips what is there), then ingest.
MINIO_PID=
stop_minio() { if [[ -n $MINIO_PID ]]; then kill "$MINIO_PID" 2>/dev/null || true; wait "$MINIO_PID" 2>/dev/null || true; fi; }
trap stop_minio EXIT
if want s3 && [[ ${BENCH_S3:-1} != 0 ]]; then
	MINIO=${AUDITLAKE_MINIO:-$(command -v minio || echo "$("$GO" env GOPATH)/bin/minio")}
	if [[ ! -x $MINIO ]]; then
		log "no minio binary (make tools): skipping the S3 cases"
	else
		port=$(( 20000 + RANDOM % 20000 ))
		export AWS_ACCESS_KEY_ID=benchbench AWS_SECRET_ACCESS_KEY=benchbenchbench AWS_REGION=us-east-1
		mkdir -p "$CACHE/minio"
		MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY MINIO_BROWSER=off \
			"$MINIO" server --quiet --address "127.0.0.1:$port" "$CACHE/minio" >"$WORK/minio.log" 2>&1 &
		MINIO_PID=$!
		ep=http://127.0.0.1:$port
		for _ in $(seq 100); do curl -sf "$ep/minio/health/ready" >/dev/null && break; sleep 0.1; done
		log "uploading to MinIO at $ep (once; cached in $CACHE/minio)"
		"$WORK/s3put" --endpoint-url "$ep" --bucket bench --prefix ct-large/ "$CT_LARGE" >/dev/null
		"$WORK/s3put" --endpoint-url "$ep" --bucket bench --prefix ct-small/ "$CT_SMALL" >/dev/null
		for i in $(seq "$RUNS"); do
			ingest s3-ct-large s3://bench/ct-large/ --endpoint-url "$ep"
			ingest s3-ct-small s3://bench/ct-small/ --endpoint-url "$ep"
		done
		stop_minio
		MINIO_PID=
	fi
fi

GOBENCH=$WORK/gobench.txt
: >"$GOBENCH"
if [[ ${BENCH_GO:-1} != 0 ]]; then
	log "Go benchmarks (-benchtime 3x)"
	pkgs=()
	for p in ./ingest/cloudtrail ./ingest/flowlogs ./ingest/confighistory ./ingest/credreport ./queries ./evidence; do
		if ls "$p"/*_test.go >/dev/null 2>&1 && grep -qs '^func Benchmark' "$p"/*_test.go; then pkgs+=("$p"); fi
	done
	if [[ ${#pkgs[@]} -gt 0 ]]; then
		"$GO" test -tags duckdb_arrow -run '^$' -bench . -benchtime 3x "${pkgs[@]}" 2>&1 | tee "$GOBENCH" | grep -E '^(Benchmark|ok|FAIL|---)' >&2 || true
	fi
fi

# duckdb_version: duckdb-go v2.MmmPP.x bundles DuckDB M.mm.PP.
duckdb_version() {
	local v
	v=$(awk '$1 == "github.com/duckdb/duckdb-go/v2" {print $2}' go.mod)
	echo "duckdb-go $v (DuckDB $(echo "$v" | sed -E 's/^v2\.([0-9])([0-9]{2})([0-9]{2}).*/\1.\2.\3/; s/\.0([0-9])/.\1/g'))"
}

# The table: medians per case, events/s from the median wall, ratios against
# the read_json baseline of the same run.
TABLE=$WORK/table.md
awk -F'\t' '
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{ if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 }
  wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " $3; rss[$1] = rss[$1] " " $4; rows[$1] = $5; runs[$1]++ }
END {
	if ("baseline" in seen) base = rows["baseline"] / median(wall["baseline"])
	print "| case | runs | rows | wall (median) | rows/s | CPU s (user+sys) | CPU s per M rows | peak RSS | vs read_json |"
	print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for (i = 1; i <= k; i++) {
		c = order[i]; w = median(wall[c]); r = rows[c] / w
		ratio = (base > 0 && c ~ /ct-large|baseline/) ? sprintf("%.2fx", r / base) : ""
		printf "| %s | %d | %d | %.2f s | %.0f | %.1f | %.1f | %.0f MiB | %s |\n", c, runs[c], rows[c], w, r, median(cpu[c]), rows[c] ? median(cpu[c]) / rows[c] * 1e6 : 0, median(rss[c]) / 1024, ratio
	}
}' "$RESULTS" >"$TABLE"

{
	echo "Measured $(date -u +%Y-%m-%d) by scripts/bench.sh: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average at the end $(cut -d' ' -f1-3 /proc/loadavg), $("$GO" env GOVERSION), $(duckdb_version), $RUNS runs per case."
	echo
	cat "$TABLE"
	if grep -q '^Benchmark' "$GOBENCH"; then
		echo
		echo "Go benchmarks (\`go test -run '^\$' -bench . -benchtime 3x\`):"
		echo
		echo '```'
		grep -E '^(Benchmark|pkg:)' "$GOBENCH"
		echo '```'
	fi
} >"$WORK/section.md"

cat "$WORK/section.md"
if [[ ${BENCH_WRITE_DOC:-1} != 0 ]]; then
	if ! grep -q '<!-- bench:begin -->' "$DOC" 2>/dev/null; then
		printf '# Benchmarks\n\n<!-- bench:begin -->\n<!-- bench:end -->\n' >>"$DOC"
	fi
	awk -v f="$WORK/section.md" '
		/<!-- bench:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- bench:end -->/ { skip = 0 }
		!skip' "$DOC" >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"
	log "wrote the figures into $DOC"
fi
