#!/usr/bin/env bash
# Runs `junction bench-model` and, when LLAMA_BENCH points at llama.cpp's llama-bench, llama.cpp
# on the same GGUF files, alternating so both see the same phase of a noisy machine, and prints
# prompt and generation tokens/s with the ratios.
#   LLAMA_BENCH=/path/to/llama-bench bench/side_by_side.sh [-t 2] [-p 512] [-n 128] [-r 2] FILE.gguf...
set -euo pipefail
threads=2 prompt=512 gen=128 reps=2
while getopts "t:p:n:r:" opt; do
  case $opt in t) threads=$OPTARG ;; p) prompt=$OPTARG ;; n) gen=$OPTARG ;; r) reps=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
here=$(cd "$(dirname "$0")/.." && pwd)
ours=$here/build/junction
printf "%-28s %10s %10s %10s %10s %8s %8s %s\n" file "pp ours" "pp llama" "tg ours" "tg llama" "pp x" "tg x" "bandwidth(ours run)"
for file in "$@"; do
  out=$("$ours" bench-model "$file" -t "$threads" -p "$prompt" -n "$gen" -r "$reps")
  pp=$(awk '/^prefill/ {print $2}' <<<"$out")
  tg=$(awk '/^decode / {print $2}' <<<"$out")
  bw=$(awk '/^ratio/ {print $2}' <<<"$out")
  lpp="-" ltg="-" rpp="-" rtg="-"
  if [ -n "${LLAMA_BENCH:-}" ] && [ -x "$LLAMA_BENCH" ]; then
    csv=$("$LLAMA_BENCH" -m "$file" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" -o csv 2>/dev/null)
    lpp=$(awk -F, -v p="$prompt" 'NR > 1 && $0 ~ "\"" p "\",\"0\"" {gsub(/"/, "", $0); print}' <<<"$csv" | awk -F, '{print $(NF-1)}')
    ltg=$(awk -F, -v g="$gen" 'NR > 1 && $0 ~ "\"0\",\"" g "\"" {gsub(/"/, "", $0); print}' <<<"$csv" | awk -F, '{print $(NF-1)}')
    rpp=$(awk -v a="$pp" -v b="$lpp" 'BEGIN {printf "%.2f", a / b}')
    rtg=$(awk -v a="$tg" -v b="$ltg" 'BEGIN {printf "%.2f", a / b}')
  fi
  printf "%-28s %10s %10s %10s %10s %8s %8s %s\n" "$(basename "$file")" "$pp" "$lpp" "$tg" "$ltg" "$rpp" "$rtg" "$bw"
done
