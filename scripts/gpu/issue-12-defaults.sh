#!/usr/bin/env bash
# Issue 12 on a real GPU after the sixteenth session changed what 'auto' runs there (the first H200
# run of issue-12-shared.sh that session measured the prefill's pairs of lanes at 0.62× the portable
# prefill and the quads of grouped heads at 0.64–0.82× the quads of one head: 'auto' now runs neither
# on a GPU), and made the clock warm-up go on while the clock still rises (that run's prefill
# roofline came out at half the H200's peak after 200 ms of warm-up). One prepared script, about
# 3 minutes. Make the kit first, here: `bash scripts/gpu/prepare.sh`; carry .gpu-kit (and .gl); run
#   bash scripts/gpu/issue-12-defaults.sh "$OUT"
# Writes 7 files (the device returns at most 8; keep a console log beside them):
#   verify.txt         every built-in kernel on the GPU in the new default form, then the loop-var
#                      example (pv_accumulator_not_reset.wgsl)
#   prefill.txt, prefill.card.json
#                      fused ≥ 2× tiled at N = 4096, 8192 (8 heads, dk = 64): fused (now the portable
#                      prefill with subgroups) against fused-shared (the pairs: the old default) and
#                      tiled, and forced key splits (2, 4, 8: does the 64-row prefill want more
#                      workgroups than TARGET_WORKGROUPS = 512 on a GPU of 132 SMs?), and fa_wg128
#                      (128 rows a workgroup: 1.25× and 1.05× the portable prefill in that first run).
#                      Its roofline, measured after the verifier left the GPU idle, shows whether the
#                      warm-up now reaches the peak (47.4 TFLOP/s, 3950 GB/s copy)
#   decode.txt, decode.card.json
#                      n = 1, m = 4096 … 32768, 8 heads on 2: fused (quads, one head a workgroup)
#                      against fused-shared (grouped: the old default) and fused-unshared, with 128 and
#                      256 key splits forced; 32 heads on 8 and 8 on 8 at m = 32768
#   tfjs.txt           fused and tiled against tfjs-webgpu, fused in its new default form
#   clocks.csv         the SM clock every 100 ms
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader >> "$out/verify.txt" 2>&1 || true
kernel() { [ -f ".gpu-kit/$1.wgsl" ] && echo "--kernel fused=.gpu-kit/$1.wgsl"; }

{ echo "== verify"; kit 150 verify; echo "exit $?"
  echo "== loop-var: a loop body's var without initializer"
  kit 40 verify --stage pv examples/kernels/pv_accumulator_not_reset.wgsl --variant naive; echo "exit $?"; } >> "$out/verify.txt" 2>&1
grep -aE '^(verdict|built-in|exit|==)' "$out/verify.txt" | tail -30
# shellcheck disable=SC2046
{ echo "== prefill"; kit 150 bench --node --n 4096,8192 --dk 64 --heads 8 \
    --variants tiled,fused,fused-shared,fused-2splits,fused-4splits,fused-8splits $(kernel fa_wg128) \
    --baseline fused,tiled --repeats 3 --warmup 1 --no-plot --out /tmp/i12-prefill --card "$out/prefill.card.json"
  echo "exit $?"; } > "$out/prefill.txt" 2>&1
grep -avE '^\[|^note' "$out/prefill.txt" | tail -28
common=(--node --n 64 --dk 64 --causal --repeats 5 --warmup 2 --no-plot)
{ echo "== decode: quads one head a workgroup (auto), grouped (shared), per-lane (unshared), forced splits"
  kit 110 bench "${common[@]}" --heads 8 --kv-heads 2 --decode 4096,16384,32768 \
    --variants fused,fused-shared,fused-unshared,fused-128splits,fused-256splits --baseline fused-shared,fused-unshared \
    --out /tmp/i12-decode --card "$out/decode.card.json"; echo "exit $?"
  echo "== decode: 32 heads on 8"; kit 60 bench "${common[@]}" --heads 32 --kv-heads 8 --decode 32768 \
    --variants fused,fused-shared,fused-unshared --baseline fused-shared,fused-unshared --out /tmp/i12-heads; echo "exit $?"
  echo "== decode: 8 heads on 8"; kit 50 bench "${common[@]}" --heads 8 --kv-heads 8 --decode 32768 \
    --variants fused,fused-unshared --baseline fused-unshared --out /tmp/i12-gqa; echo "exit $?"; } > "$out/decode.txt" 2>&1
grep -avE '^\[|^note' "$out/decode.txt" | grep -aE '^(==|[0-9]|roofline|exit)'
{ echo "== tfjs"; kit 100 bench --node --n 2048,4096 --dk 64 --heads 8 --variants tiled,fused,tfjs \
    --repeats 3 --warmup 1 --no-plot --out /tmp/i12-tfjs; echo "exit $?"; } > "$out/tfjs.txt" 2>&1
grep -avE '^\[|^note' "$out/tfjs.txt" | grep -aE '^(==|[0-9]|roofline|exit|  N=)'
