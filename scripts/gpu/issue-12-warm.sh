#!/usr/bin/env bash
# Issue 12 on a real GPU, the sixteenth session's last check (about 2 minutes): after the changes
# that issue-12-defaults.sh measured for — the prefill aiming for 1024 workgroups (2 key splits at
# N = 4096 with 8 heads), and a warm-up that lasts until the clock is up (the roofline at least
# 2.5 s, each round's warm-up until an FMA pass runs at 0.9 of the roofline's rate). The prefill
# verifies a kernel of its own first (fa_wg128), which leaves the GPU idle before the roofline: that
# roofline came out at half the peak twice. Make the kit first: `bash scripts/gpu/prepare.sh`; carry
# .gpu-kit (and .gl); run
#   bash scripts/gpu/issue-12-warm.sh "$OUT"
# Writes prefill.txt, decode.txt, clocks.csv.
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"
kernel() { [ -f ".gpu-kit/$1.wgsl" ] && echo "--kernel fused=.gpu-kit/$1.wgsl"; }
# shellcheck disable=SC2046
{ echo "== prefill"; kit 150 bench --node --n 4096,8192 --dk 64 --heads 8 \
    --variants tiled,fused,fused-1split,fused-shared $(kernel fa_wg128) \
    --baseline fused,tiled --repeats 3 --warmup 1 --no-plot --out /tmp/i12-prefill
  echo "exit $?"; } > "$out/prefill.txt" 2>&1
grep -avE '^\[' "$out/prefill.txt" | grep -aE '^(==|[0-9]|roofline|  sized|exit|  N=|note: Clock)'
{ echo "== decode"; kit 100 bench --node --n 64 --dk 64 --causal --repeats 5 --warmup 2 --no-plot --heads 8 --kv-heads 2 \
    --decode 4096,32768 --variants fused,fused-unshared,fused-shared --baseline fused-unshared --out /tmp/i12-decode
  echo "exit $?"; } > "$out/decode.txt" 2>&1
grep -avE '^\[' "$out/decode.txt" | grep -aE '^(==|[0-9]|roofline|  sized|exit|note: Clock)'
