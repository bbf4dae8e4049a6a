#!/usr/bin/env bash
# Time `dockside ingest` on a generated 004010 846 of 200,000 items (about
# 17 MB, one ST per 10,000 items), the whole process: start, store in the
# inbox (fsync), validate, queue the 997, map, post to the ledger (fsync),
# mark done. The first run posts into an empty ledger; each later run is
# the next day's file (a new ISA13) into the positions the first made.
#
#   scripts/bench-ingest.sh            # 3 runs
#   RUNS=5 ITEMS=100000 scripts/bench-ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"

RUNS=${RUNS:-3}
ITEMS=${ITEMS:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/dockside" ./cmd/dockside
mkdir -p "$work/partners"
cat > "$work/partners/benchco.yaml" <<'EOF'
id: benchco
name: Bench Co
role: 3pl
identities:
  isa: [{qualifier: ZZ, id: BENCHCO}]
acks: {send: "997"}
transports:
  inbound:
    - folder: {path: in}
  outbound:
    - folder: {path: out}
documents:
  - type: x12/846
    content: snapshot
    mapping:
      buckets: {"17": on_hand, "33": compare}
      location: {source: header_n1, qualifier: WH}
      items: {order: [SK]}
EOF

# gen CONTROL DAY: an 846 like gateway's BenchmarkIngest846 input.
gen() {
	python3 - "$ITEMS" "$1" "$2" <<'EOF'
import sys
n, ctl, day = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
w = sys.stdout.write
date = "202611%02d" % day
w("ISA*00*          *00*          *ZZ*BENCHCO        *ZZ*DOCKSIDE       *%s*1200*U*00401*%09d*0*P*>~\n" % (date[2:], ctl))
w("GS*IB*BENCHCO*DOCKSIDE*%s*1200*%d*X*004010~\n" % (date, ctl))
sets = 0
for start in range(0, n, 10000):
    sets += 1
    end = min(start + 10000, n)
    w("ST*846*%04d~\nBIA*00*DD*REF%d*%s*1200~\nDTM*405*%s~\nN1*WH*Main*92*WH1~\n" % (sets, sets, date, date))
    for i in range(start, end):
        w("LIN**SK*SKU%07d*UP*012345678905~\nPID*F****Widget %d~\nQTY*17*%d*EA~\nQTY*33*%d*EA~\n" % (i, i, (i + day) % 500 + 1, i % 400))
    w("CTT*%d~\nSE*%d*%04d~\n" % (end - start, 4 + 4 * (end - start) + 2, sets))
w("GE*%d*%d~\nIEA*1*%09d~\n" % (sets, ctl, ctl))
EOF
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq 1 "$RUNS"); do
	gen $((1000 + run)) "$run" > "$work/day$run.edi"
	start=$(date +%s.%N)
	"$work/dockside" ingest --partner benchco --partners "$work/partners" --data "$work/data" "$work/day$run.edi" > "$work/out.txt"
	end=$(date +%s.%N)
	printf 'run %d (%s): %.2f s, %s bytes: %s\n' "$run" "$([ "$run" = 1 ] && echo 'empty ledger' || echo 'existing positions')" \
		"$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(stat -c %s "$work/day$run.edi")" "$(cat "$work/out.txt")"
done
