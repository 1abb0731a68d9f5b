#!/usr/bin/env bash
# Runs `junction bench-model` and, when LLAMA_BENCH points at llama.cpp's llama-bench, llama.cpp
# on the same GGUF files, alternating so both see the same phase of a noisy machine, and prints
# prompt and generation tokens/s with the ratios.
#   LLAMA_BENCH=/path/to/llama-bench bench/side_by_side.sh [-t 2] [-p 512] [-n 128] [-r 2]
#       [-d DEPTH] [-K CACHE_TYPE_K] [-V CACHE_TYPE_V] FILE.gguf...
# -d fills DEPTH tokens before each test (bench-model -d, llama-bench -d; both fill once and start
# every test from that state). -K / -V set the KV cache's key and value types (f32, f16, bf16,
# q8_0; f16 when not given, both programs' default): bench-model --cache-type-k/-v, llama-bench
# -ctk/-ctv. With any of the three llama-bench also gets -fa 1 (flash attention, which a quantized
# V cache needs; ours always attends that way). -p 0 or -n 0 skips that test in both.
# Speculative decoding: -D DRAFT.gguf (a draft model) or -N (prompt lookup), with -k N drafted
# tokens at most, adds junction's verify-cost and greedy speed-up lines (bench-model --draft /
# --ngram). llama-bench has no speculative mode; llama.cpp's are separate programs, so when
# LLAMA_SPECULATIVE (llama-speculative, for -D) or LLAMA_LOOKUP (llama-lookup, for -N) is set
# it runs with the same model, draft, --draft-max, threads and length, and its decode speed and
# acceptance are printed after ours.
set -euo pipefail
threads=2 prompt=512 gen=128 reps=2 draft="" ngram=0 draft_max=8 depth=0 ctk="" ctv=""
while getopts "t:p:n:r:D:Nk:d:K:V:" opt; do
  case $opt in
    t) threads=$OPTARG ;; p) prompt=$OPTARG ;; n) gen=$OPTARG ;; r) reps=$OPTARG ;;
    D) draft=$OPTARG ;; N) ngram=1 ;; k) draft_max=$OPTARG ;;
    d) depth=$OPTARG ;; K) ctk=$OPTARG ;; V) ctv=$OPTARG ;; *) exit 2 ;;
  esac
done
cache=() lcache=()
[ "$depth" != 0 ] && cache+=(-d "$depth") && lcache+=(-d "$depth")
[ -n "$ctk" ] && cache+=(--cache-type-k "$ctk") && lcache+=(-ctk "$ctk")
[ -n "$ctv" ] && cache+=(--cache-type-v "$ctv") && lcache+=(-ctv "$ctv")
[ ${#lcache[@]} -gt 0 ] && lcache+=(-fa 1)
spec=()
[ -n "$draft" ] && spec+=(--draft "$draft" --draft-max "$draft_max")
[ "$ngram" = 1 ] && spec+=(--ngram --draft-max "$draft_max")
shift $((OPTIND - 1))
here=$(cd "$(dirname "$0")/.." && pwd)
ours=$here/build/junction
echo "depth $depth, KV cache k ${ctk:-f16} v ${ctv:-f16}, $threads threads, load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-28s %10s %10s %10s %10s %8s %8s %s\n" file "pp ours" "pp llama" "tg ours" "tg llama" "pp x" "tg x" "bandwidth(ours run)"
for file in "$@"; do
  out=$("$ours" bench-model "$file" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" "${cache[@]}" "${spec[@]}")
  pp=$(awk '/^prefill/ {print $2}' <<<"$out")
  tg=$(awk '/^decode / {print $2}' <<<"$out")
  bw=$(awk '/^ratio/ {print $2}' <<<"$out")
  lpp="-" ltg="-" rpp="-" rtg="-"
  if [ -n "${LLAMA_BENCH:-}" ] && [ -x "$LLAMA_BENCH" ]; then
    csv=$("$LLAMA_BENCH" -m "$file" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" "${lcache[@]}" -o csv 2>/dev/null)
    # Rows by their n_prompt, n_gen, n_depth columns (adjacent in llama-bench's CSV); avg_ts is the
    # next to last column.
    row() { awk -v key="\"$1\",\"$2\",\"$depth\"" 'NR > 1 && index($0, key) {gsub(/"/, "", $0); print}' <<<"$csv" | awk -F, '{print $(NF-1)}'; }
    lpp=$(row "$prompt" 0) ltg=$(row 0 "$gen")
    [ "$prompt" = 0 ] && lpp="-"
    [ "$gen" = 0 ] && ltg="-"
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 > 0) printf "%.2f", a / b; else print "-"}'; }
    rpp=$(ratio "$pp" "$lpp") rtg=$(ratio "$tg" "$ltg")
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
