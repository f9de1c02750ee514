#!/usr/bin/env bash
# Issue 12's decode and prefill on a real GPU, with the clock warm-up (bench's default on a GPU) and
# without it, against the fused kernel before the third H200 session, as one prepared script (run
# there three times on 28 Nov 2026; BENCHMARKS.md). Carry the kit as in issue-12-targets.sh
# (`bash ../shared/gpu-kit/pack.sh`; carry .gpu-kit and .gl), with the previous fused kernel copied
# beside it for the before/after rows:
#   git show eb7d763:shaders/flash_attention.wgsl > .gpu-kit/flash_attention_eb7d763.wgsl
# Writes under the folder it is given:
#   verify.txt        npm run verify: every built-in kernel (the fused kernel's decode cases included)
#   decode.txt        decode (n = 1, m = 4096 … 32768, 8 heads on 2 K/V heads, dk = 64, causal):
#                     the fused kernel, one split, f16 storage, and the previous kernel as
#                     custom:flash_attention_eb7d763.wgsl (verified first, then timed on the same inputs)
#   decode.card.json  the benchmark card of that run (the clock warm-up on, bench's default on a GPU)
#   decode-cold.txt   the same rows with --warm-clock 0, as every run before the warm-up existed
#   prefill.txt, prefill.card.json   N = 4096, 8192, 8 heads: tiled, fused and the previous fused kernel
#   clocks.csv        the SM clock, power and utilisation every 100 ms
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"

{ echo "== verify"; kit 100 verify; echo "exit $?"; } > "$out/verify.txt" 2>&1
tail -4 "$out/verify.txt"
old=.gpu-kit/flash_attention_eb7d763.wgsl
custom=(); [ -f "$old" ] && custom=(--kernel "fused=$old")
{ echo "== decode"; kit 170 bench --node --n 1024 --dk 64 --heads 8 --kv-heads 2 --causal \
    --variants fused,fused-1split,fused-f16 --decode 4096,16384,32768 "${custom[@]}" \
    --repeats 5 --warmup 2 --no-plot --out /tmp/issue12-decode --card "$out/decode.card.json"; echo "exit $?"; } > "$out/decode.txt" 2>&1
tail -30 "$out/decode.txt"
{ echo "== decode, no clock warm-up"; kit 120 bench --node --n 64 --dk 64 --heads 8 --kv-heads 2 --causal \
    --variants fused,fused-1split --decode 4096,16384,32768 "${custom[@]}" \
    --repeats 5 --warmup 2 --no-plot --out /tmp/issue12-decode-cold --warm-clock 0; echo "exit $?"; } > "$out/decode-cold.txt" 2>&1
tail -16 "$out/decode-cold.txt"
# The staging change reaches the 64-row shape too: prefill at the target's size, against the same previous kernel.
{ echo "== prefill"; kit 150 bench --node --n 4096,8192 --dk 64 --heads 8 --variants tiled,fused "${custom[@]}" \
    --repeats 3 --warmup 1 --no-plot --out /tmp/issue12-prefill --card "$out/prefill.card.json"; echo "exit $?"; } > "$out/prefill.txt" 2>&1
tail -22 "$out/prefill.txt"
