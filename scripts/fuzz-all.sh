#!/usr/bin/env bash
# Run every fuzz target of every package for DURATION each, one after
# the other, and print a table: package, target, duration, executions,
# new coverage inputs, result (wall time includes the build and the
# baseline run of the corpus). Targets are found with `go test -list`
# in the packages whose tests declare a `func Fuzz...`.
#
#   scripts/fuzz-all.sh 10m                   # every target, 10 minutes each
#   scripts/fuzz-all.sh 60s ./transports/as2  # one package's targets
#   FUZZ_PARALLEL=1 scripts/fuzz-all.sh 2m    # one fuzz worker per target
#   FUZZ_MATCH='Decrypt|Incoming' scripts/fuzz-all.sh 30s
#   FUZZ_JOBS=8 FUZZ_PARALLEL=1 scripts/fuzz-all.sh 10m  # 8 targets at once
#
# Environment:
#   FUZZ_PARALLEL  fuzz workers per target (default: go's, GOMAXPROCS)
#   FUZZ_MINIMIZE  -fuzzminimizetime (default 10s: the default 60s
#                  minimization of every new input stalls the slow targets)
#   FUZZ_MATCH     only targets whose name matches this extended regexp
#   FUZZ_LOGS      folder for each target's output (default: a new temp folder)
#   FUZZ_JOBS      targets fuzzed at the same time (default 1); each still
#                  runs for DURATION, sharing the cores
#
# A failing input is written by go test to the package's
# testdata/fuzz/<Target>/ (add it to the seed corpus once fixed). The exit
# status is 1 when a target failed, 2 on a usage or build error.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"

if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
	sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
	[ $# -lt 1 ] && exit 2 || exit 0
fi
DURATION=$1
shift
PATTERNS=("$@")
[ ${#PATTERNS[@]} -eq 0 ] && PATTERNS=(./...)
MINIMIZE=${FUZZ_MINIMIZE:-10s}
MATCH=${FUZZ_MATCH:-.}
LOGS=${FUZZ_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/dockside-fuzz.XXXXXX")}
mkdir -p "$LOGS"
parallel=()
[ -n "${FUZZ_PARALLEL:-}" ] && parallel=(-parallel "$FUZZ_PARALLEL")

# Packages whose test files declare a fuzz target.
pkgs=()
while IFS=$'\t' read -r importpath dir; do
	if grep -qs '^func Fuzz' "$dir"/*_test.go; then
		pkgs+=("$importpath")
	fi
done < <(go list -f '{{.ImportPath}}	{{.Dir}}' "${PATTERNS[@]}") || exit 2
if [ ${#pkgs[@]} -eq 0 ]; then
	echo "fuzz-all: no package with a fuzz target in ${PATTERNS[*]}" >&2
	exit 2
fi

targets=() # "package target"
for p in "${pkgs[@]}"; do
	list=$(go test -list '^Fuzz' "$p" 2>&1) || { echo "fuzz-all: go test -list $p failed:" >&2; echo "$list" >&2; exit 2; }
	for t in $(echo "$list" | grep -E '^Fuzz' | grep -E -- "$MATCH"); do
		targets+=("$p $t")
	done
done
echo "fuzz-all: ${#targets[@]} targets, $DURATION each, logs in $LOGS" >&2

JOBS=${FUZZ_JOBS:-1}

# fuzz_one runs one target and writes its table row to its .row file.
fuzz_one() {
	local p=$1 t=$2
	local log="$LOGS/$(echo "$p" | tr / _).$t.log"
	echo "fuzz-all: $p $t ($DURATION) ..." >&2
	local start status secs last execs newcov result input why
	start=$(date +%s)
	go test -run '^$' -fuzz "^$t\$" -fuzztime "$DURATION" -fuzzminimizetime "$MINIMIZE" "${parallel[@]}" "$p" >"$log" 2>&1
	status=$?
	secs=$(($(date +%s) - start))
	last=$(grep -E '^fuzz: elapsed: .*execs: [0-9]+' "$log" | tail -1)
	execs=$(echo "$last" | sed -nE 's/.*execs: ([0-9]+).*/\1/p')
	newcov=$(echo "$last" | sed -nE 's/.*new interesting: ([0-9]+).*/\1/p')
	if [ $status -eq 0 ]; then
		result=ok
	else
		input=$(sed -nE 's/.*(testdata\/fuzz\/[^ ]+).*/\1/p' "$log" | head -1)
		why=$(grep -m1 -E '^[[:space:]]+[A-Za-z0-9_]+\.go:[0-9]+: ' "$log" | sed -E 's/^[[:space:]]+//' | cut -c1-100)
		[ -z "$why" ] && why=$(grep -m1 -E 'FAIL|error' "$log" | cut -c1-100)
		result="FAIL ${input:-} ${why:-see $log}"
	fi
	printf '%-48s %-28s %6ss %12s %6s  %s\n' "$p" "$t" "$secs" "${execs:--}" "${newcov:--}" "$result" | tee "$log.row" >&2
}

i=0
for pt in "${targets[@]}"; do
	read -r p t <<<"$pt"
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
	fuzz_one "$p" "$t" &
	i=$((i + 1))
done
wait

failed=0
printf '%-48s %-28s %7s %12s %6s  %s\n' package target wall execs newcov result
for pt in "${targets[@]}"; do
	read -r p t <<<"$pt"
	row="$LOGS/$(echo "$p" | tr / _).$t.log.row"
	if [ -f "$row" ]; then
		cat "$row"
		grep -q '  ok$' "$row" || failed=1
	else
		printf '%-48s %-28s %7s %12s %6s  %s\n' "$p" "$t" - - - "FAIL (no result)"
		failed=1
	fi
done
exit $failed
