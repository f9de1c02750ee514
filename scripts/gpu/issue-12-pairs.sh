#!/usr/bin/env bash
# Issue 12 on a real GPU, after the prefill in pairs of lanes (28 Nov 2026, fourth session; not run
# on a GPU yet): one prepared script, about 6 minutes. Make the kit and the kernels it compares
# first, here: `bash scripts/gpu/prepare.sh`; carry .gpu-kit (and .gl); run
#   bash scripts/gpu/issue-12-pairs.sh "$OUT"
# The clock warm-up is on (bench's default on a GPU); every kernel of your own is verified before it
# is timed. Writes 7 files (the device returns at most 8):
#   verify.txt         every built-in kernel on the GPU, the fused kernel's two subgroup forms among them
#   prefill.txt, prefill.card.json
#                      fused ≥ 2× tiled at N = 4096, 8192 (8 heads, dk = 64): fused (pairs of lanes on a
#                      GPU) against fused-nopairs (the portable prefill, same subgroup form otherwise),
#                      fused-nosubgroups, and two tile shapes of the portable kernel (fa_tile64,
#                      fa_wg128: a kernel of your own runs without the subgroup form, so compare them
#                      with fused-nosubgroups); paired ratios to fused-nopairs, fused-nosubgroups and
#                      tiled. Does halving the workgroup-memory reads per multiply-add lift the 29 %
#                      of the FMA roof the portable prefill reached?
#   tfjs.txt           the one target never measured on a GPU: fused and tiled against tfjs-webgpu
#   splits.txt         decode n = 1, m = 32768, 8 heads on 2: time against forced split counts (is the
#                      grid too small?), paired to one split
#   decode.txt         decode: this kernel against the one before the branch-free, vec4 reads
#                      (fa_cdf3581) and without subgroups; then 8 K/V heads (no GQA sharing) and
#                      32 heads at m = 8192 (a fuller grid at the same split count)
#   clocks.csv         the SM clock every 100 ms (a GPU idles down between short runs)
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader >> "$out/verify.txt" 2>&1 || true
kernel() { [ -f ".gpu-kit/$1.wgsl" ] && echo "--kernel fused=.gpu-kit/$1.wgsl"; }

{ echo "== verify"; kit 120 verify; echo "exit $?"; } >> "$out/verify.txt" 2>&1
tail -5 "$out/verify.txt"
# shellcheck disable=SC2046
{ echo "== prefill"; kit 150 bench --node --n 4096,8192 --dk 64 --heads 8 \
    --variants tiled,fused,fused-nopairs,fused-nosubgroups $(kernel fa_tile64) $(kernel fa_wg128) \
    --baseline fused-nopairs,fused-nosubgroups,tiled --repeats 3 --warmup 1 --no-plot --out /tmp/i12-prefill --card "$out/prefill.card.json"
  echo "exit $?"; } > "$out/prefill.txt" 2>&1
tail -22 "$out/prefill.txt"
{ echo "== tfjs"; kit 100 bench --node --n 2048,4096 --dk 64 --heads 8 --variants tiled,fused,tfjs \
    --repeats 3 --warmup 1 --no-plot --out /tmp/i12-tfjs; echo "exit $?"; } > "$out/tfjs.txt" 2>&1
tail -16 "$out/tfjs.txt"
common=(--node --n 64 --dk 64 --causal --repeats 5 --warmup 2 --no-plot)
{ echo "== splits"; kit 80 bench "${common[@]}" --heads 8 --kv-heads 2 --decode 32768 \
    --variants fused,fused-1split,fused-16splits,fused-256splits,fused-1024splits,fused-4096splits --baseline fused-1split \
    --out /tmp/i12-splits; echo "exit $?"; } > "$out/splits.txt" 2>&1
tail -16 "$out/splits.txt"
# shellcheck disable=SC2046
{ echo "== decode: before and after, subgroups"; kit 70 bench "${common[@]}" --heads 8 --kv-heads 2 --decode 32768 \
    --variants fused,fused-nosubgroups $(kernel fa_cdf3581) --baseline fused-nosubgroups$([ -f .gpu-kit/fa_cdf3581.wgsl ] && echo ,custom:fa_cdf3581.wgsl) \
    --out /tmp/i12-decode; echo "exit $?"
  echo "== decode: 8 K/V heads (no sharing)"; kit 50 bench "${common[@]}" --heads 8 --kv-heads 8 --decode 32768 \
    --variants fused,fused-256splits --out /tmp/i12-gqa; echo "exit $?"
  echo "== decode: 32 heads on 8, m = 8192"; kit 50 bench "${common[@]}" --heads 32 --kv-heads 8 --decode 8192 \
    --variants fused,fused-16splits,fused-64splits --out /tmp/i12-heads; echo "exit $?"; } > "$out/decode.txt" 2>&1
tail -30 "$out/decode.txt"
