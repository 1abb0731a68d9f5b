#!/usr/bin/env bash
# Runs `junction bench-model` and, when LLAMA_BENCH points at llama.cpp's llama-bench, llama.cpp
# on the same GGUF files, alternating so both see the same phase of a noisy machine, and prints
# prompt and generation tokens/s with the ratios.
#   LLAMA_BENCH=/path/to/llama-bench bench/side_by_side.sh [-t 2] [-p 512] [-n 128] [-r 2] FILE.gguf...
# Speculative decoding: -D DRAFT.gguf (a draft model) or -N (prompt lookup), with -k N drafted
# tokens at most, adds junction's verify-cost and greedy speed-up lines (bench-model --draft /
# --ngram). llama-bench has no speculative mode; llama.cpp's are separate programs, so when
# LLAMA_SPECULATIVE (llama-speculative, for -D) or LLAMA_LOOKUP (llama-lookup, for -N) is set
# it runs with the same model, draft, --draft-max, threads and length, and its decode speed and
# acceptance are printed after ours.
set -euo pipefail
threads=2 prompt=512 gen=128 reps=2 draft="" ngram=0 draft_max=8
while getopts "t:p:n:r:D:Nk:" opt; do
  case $opt in
    t) threads=$OPTARG ;; p) prompt=$OPTARG ;; n) gen=$OPTARG ;; r) reps=$OPTARG ;;
    D) draft=$OPTARG ;; N) ngram=1 ;; k) draft_max=$OPTARG ;; *) exit 2 ;;
  esac
done
spec=()
[ -n "$draft" ] && spec+=(--draft "$draft" --draft-max "$draft_max")
[ "$ngram" = 1 ] && spec+=(--ngram --draft-max "$draft_max")
shift $((OPTIND - 1))
here=$(cd "$(dirname "$0")/.." && pwd)
ours=$here/build/junction
printf "%-28s %10s %10s %10s %10s %8s %8s %s\n" file "pp ours" "pp llama" "tg ours" "tg llama" "pp x" "tg x" "bandwidth(ours run)"
for file in "$@"; do
  out=$("$ours" bench-model "$file" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" "${spec[@]}")
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
  if [ ${#spec[@]} -gt 0 ]; then
    grep -E '^(speculative|verify|greedy|drafts)' <<<"$out" | sed 's/^/  ours: /'
    tool=""
    [ -n "$draft" ] && tool=${LLAMA_SPECULATIVE:-}
    [ "$ngram" = 1 ] && tool=${LLAMA_LOOKUP:-}
    if [ -n "$tool" ] && [ -x "$tool" ]; then
      args=(-m "$file" -t "$threads" -n "$gen" --draft-max "$draft_max" --temp 0 -p "Once upon a time")
      [ -n "$draft" ] && args+=(-md "$draft")
      "$tool" "${args[@]}" 2>&1 | grep -E 'decoded|accept' | sed 's/^/  llama.cpp: /' || true
    fi
  fi
done
