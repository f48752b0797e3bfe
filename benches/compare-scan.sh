#!/usr/bin/env bash
# Side by side, in one run: `evtx_dump -o jsonl -t 1` (two files at a time) against evident's
# signal collection with the rule pack (two threads), on the 15 largest corpus files that
# evtx_dump reads cleanly. Prints best-of-N wall time and CPU time for each, and the ratios
# (evtx_dump time / evident time: above 1 means evident is faster).
#
# Usage, from the project root: benches/compare-scan.sh [RUNS]
#   SHARED=/path/to/shared   (default ../shared)
#   EVIDENT_RULES=DIR        add rules to the embedded pack (EVIDENT_RULES_ONLY=1: only them)
#   SCAN=bench|cli           what to time on evident's side: the bench binary's scan-once mode
#                            (collect_signals only; the default) or `evident scan` (whole CLI)
set -eu
runs=${1:-3}
shared=${SHARED:-../shared}
corpus=$shared/corpus
[ -f "$corpus/MANIFEST.tsv" ] || { echo "no corpus at $corpus"; exit 1; }
dump=$(command -v evtx_dump || echo "$HOME/.cargo/bin/evtx_dump")
[ -x "$dump" ] || { echo "evtx_dump not installed"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tail -n +2 "$corpus/MANIFEST.tsv" | awk -F'\t' '$8==0 && $1 ~ /\.evtx$/' | sort -t$'\t' -k2,2nr |
  head -15 | cut -f1 | sed "s|^|$corpus/|" >"$work/list"
mb=$(xargs -d '\n' du -cb <"$work/list" | tail -1 | awk '{printf "%.1f", $1/1048576}')

case ${SCAN:-bench} in
  cli)
    cargo build --release -q
    printf '#!/bin/sh\nxargs -d "\\n" %s scan --threads 2 --format json <%s\n' \
      "$(pwd)/target/release/evident" "$work/list" >"$work/ev" ;;
  *)
    bin=$(cargo bench --bench scan --no-run --message-format=json 2>/dev/null |
      sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | grep '/scan-' | tail -1)
    [ -x "$bin" ] || { echo "cannot build the scan bench"; exit 1; }
    printf '#!/bin/sh\nEVIDENT_SCAN_ONCE=1 EVIDENT_THREADS=2 xargs -d "\\n" %s <%s\n' \
      "$bin" "$work/list" >"$work/ev" ;;
esac
printf '#!/bin/sh\nxargs -d "\\n" -P 2 -n 1 %s -o jsonl -t 1 <%s\n' "$dump" "$work/list" >"$work/dump"
chmod +x "$work/ev" "$work/dump"

# Best wall and best CPU seconds (user + system) of $runs runs of $1.
measure() {
  local bw=999999 bc=999999 i out w c
  for i in $(seq "$runs"); do
    /usr/bin/time -o "$work/time" -f '%e %U %S' "$1" >/dev/null 2>&1 || true
    out=$(tail -1 "$work/time")
    w=$(echo "$out" | awk '{print $1}'); c=$(echo "$out" | awk '{print $2+$3}')
    bw=$(awk -v a="$w" -v b="$bw" 'BEGIN{print (a<b)?a:b}')
    bc=$(awk -v a="$c" -v b="$bc" 'BEGIN{print (a<b)?a:b}')
  done
  echo "$bw $bc"
}
read -r dw dc < <(measure "$work/dump")
read -r ew ec < <(measure "$work/ev")
counts=$("$work/ev" 2>/dev/null | tail -1)
echo "files: 15 largest clean corpus files, ${mb} MB; evident: ${counts}"
echo "evtx_dump -o jsonl -t 1, 2 at a time: wall ${dw}s cpu ${dc}s"
echo "evident (${SCAN:-bench}), 2 threads:        wall ${ew}s cpu ${ec}s"
awk -v dw="$dw" -v ew="$ew" -v dc="$dc" -v ec="$ec" \
  'BEGIN{printf "ratio (evtx_dump / evident): wall %.2fx, cpu %.2fx (goal >= 2)\n", dw/ew, (ec>0)?dc/ec:0}'
