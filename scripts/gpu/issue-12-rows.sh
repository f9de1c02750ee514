#!/usr/bin/env bash
# Issue 12 on a real GPU, after the sixteenth session made the built-in fused prefill take 128 query
# rows a workgroup on a GPU (fa_wg128 had run 1.06–1.15× the 64-row kernel there): about 2 minutes.
# Make the kit first: `bash scripts/gpu/prepare.sh`; carry .gpu-kit (and .gl); run
#   bash scripts/gpu/issue-12-rows.sh "$OUT"
# Writes verify.txt (the fused stage: the kernel as written, with 128 rows, and its subgroup forms,
# 128 rows among them), prefill.txt and prefill.card.json (fused ≥ 2× tiled at N = 4096, 8192,
# 8 heads, dk = 64: fused against fused-64rows, fused-shared and tiled), tfjs.txt (≥ 3× tfjs-webgpu),
# clocks.csv.
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader >> "$out/verify.txt" 2>&1 || true
{ echo "== verify fused"; kit 150 verify --stage fused; echo "exit $?"; } >> "$out/verify.txt" 2>&1
grep -aE '^(verdict|built-in|exit|==)|PASS|FAIL' "$out/verify.txt" | tail -20
{ echo "== prefill"; kit 150 bench --node --n 4096,8192 --dk 64 --heads 8 --variants tiled,fused,fused-64rows,fused-shared \
    --baseline fused,tiled --repeats 5 --warmup 1 --no-plot --out /tmp/i12-prefill --card "$out/prefill.card.json"
  echo "exit $?"; } > "$out/prefill.txt" 2>&1
grep -avE '^\[' "$out/prefill.txt" | grep -aE '^(==|[0-9]|roofline|exit|  N=|note: Clock)'
{ echo "== tfjs"; kit 100 bench --node --n 2048,4096 --dk 64 --heads 8 --variants tiled,fused,tfjs \
    --repeats 3 --warmup 1 --no-plot --out /tmp/i12-tfjs; echo "exit $?"; } > "$out/tfjs.txt" 2>&1
grep -avE '^\[' "$out/tfjs.txt" | grep -aE '^(==|[0-9]|roofline|exit|  N=)'
