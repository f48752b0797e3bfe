#!/usr/bin/env bash
# Times `evident events --format jsonl --threads 2` against `evtx_dump -o jsonl -t 1` run two
# files at a time, on the 15 largest clean corpus .evtx files (ref_exit 0), best of 3 each, in
# one run, and prints the ratio (evtx_dump time / evident time: above 1 means evident is faster).
# Usage, from the project root: benches/compare-events.sh [CORPUS_DIR]
set -eu
corpus=${1:-$(cd "$(dirname "$0")/.." && pwd)/../shared/corpus}
[ -f "$corpus/MANIFEST.tsv" ] || { echo "no corpus at $corpus (pass its path)"; exit 1; }
evtx_dump=$(command -v evtx_dump || echo "$HOME/.cargo/bin/evtx_dump")
[ -x "$evtx_dump" ] || { echo "evtx_dump not installed (cargo install evtx --locked)"; exit 1; }
cargo build --release -q
ev=$(pwd)/target/release/evident
list=$(mktemp); trap 'rm -f "$list"' EXIT
tail -n +2 "$corpus/MANIFEST.tsv" | awk -F'\t' '$8==0 && $1 ~ /\.evtx$/' | sort -t$'\t' -k2,2nr |
  head -15 | cut -f1 | sed "s|^|$corpus/|" >"$list"
mb=$(xargs -d '\n' du -cb <"$list" | tail -1 | awk '{printf "%.1f", $1/1048576}')
best() {
  local b=999999 s e
  for _ in 1 2 3; do
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    b=$(echo "$s $e $b" | awk '{d=$2-$1; print (d<$3)?d:$3}')
  done
  echo "$b"
}
dump() { xargs -d '\n' -P 2 -n 1 "$evtx_dump" -o jsonl -t 1 <"$list"; }
events() { xargs -d '\n' -a "$list" "$ev" events --format jsonl --threads 2; }
td=$(best dump)
te=$(best events)
echo "15 files, ${mb} MB: evtx_dump -o jsonl (2 at a time) ${td}s, evident events --format jsonl --threads 2 ${te}s"
echo "$td $te" | awk '{printf "ratio %.2fx (evtx_dump time / evident time; >= 1 means evident is no slower)\n", $1/$2}'
