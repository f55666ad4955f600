#!/usr/bin/env bash
# fuzz.sh runs every Go fuzzer in the repository (func FuzzXxx(f *testing.F)
# in any _test.go file) for FUZZTIME each, one at a time, and prints a
# summary: executions, new corpus entries and the result. It fails if any
# fuzzer fails; a failing input is written by Go under the package's
# testdata/fuzz/FuzzXxx/ (keep it: it becomes a regression seed).
#
#   FUZZTIME          time per fuzzer (default 30s)
#   FUZZMINIMIZETIME  time Go may spend minimising an input (default 3s;
#                     Go's own default, 60s, spent on every new corpus
#                     entry, can take most of a short run)
#   FUZZ              only fuzzers whose name matches this regexp
#   GO                the go command (default go)
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-30s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-3s}
FUZZ=${FUZZ:-.}
GO=${GO:-go}
TAGS=duckdb_arrow

# "pkgdir name" for every fuzzer, in a stable order.
mapfile -t fuzzers < <(grep -rHo --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . |
	sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' |
	grep -E " .*${FUZZ}" | sort -u)
if [ ${#fuzzers[@]} -eq 0 ]; then
	echo "fuzz.sh: no fuzzers found (FUZZ=$FUZZ)" >&2
	exit 1
fi

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
failed=0
rows=()
for entry in "${fuzzers[@]}"; do
	dir=${entry% *}
	name=${entry#* }
	out="$log/$(echo "$dir" | tr / _)_$name.log"
	echo "== $name ./$dir ($FUZZTIME)"
	start=$(date +%s)
	$GO test -tags "$TAGS" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" \
		-fuzzminimizetime "$FUZZMINIMIZETIME" "./$dir" >"$out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	# The last progress line has the totals: "fuzz: elapsed: 30s, execs: 123 (4/sec), new interesting: 5 (total: 40)".
	last=$(grep -E '^fuzz: elapsed: .*execs: ' "$out" | tail -1)
	execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
	newc=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
	execs=${execs:-0}
	newc=${newc:-0}
	elapsed=$(sed -nE 's/^fuzz: elapsed: ([0-9]+)s.*/\1/p' <<<"$last")
	rate=$(( execs / (elapsed > 0 ? elapsed : 1) ))
	if [ $rc -eq 0 ]; then
		result=ok
	else
		failed=1
		result=FAIL
		grep -E -- '--- FAIL|Failing input written to|panic:|fuzz_test.go:[0-9]+:' "$out" | head -20
		grep -q 'Failing input written to' "$out" || tail -30 "$out"
	fi
	echo "   $result: $execs executions, $newc new interesting inputs, ${secs}s"
	rows+=("$(printf '%-22s %-26s %12s %9s %8s  %s' "$name" "./$dir" "$execs" "$rate" "$newc" "$result")")
done

echo
printf '%-22s %-26s %12s %9s %8s  %s\n' FUZZER PACKAGE EXECS EXECS/S NEW RESULT
for r in "${rows[@]}"; do echo "$r"; done
exit $failed
