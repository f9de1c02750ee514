#!/usr/bin/env bash
# Issue 12's real-GPU targets as one prepared script, for a session lent a GPU machine (the
# library's `device` tool). It runs the packed terminal commands, never npm, and writes everything
# under one folder. From the project's root, after `bash ../shared/gpu-kit/pack.sh` here, carry
# .gpu-kit (and .gl, the Vulkan loader's .deb files, where the machine has none) and run there:
#   bash scripts/gpu/issue-12-targets.sh "$OUT"
# About 3 minutes on an H200 (28 Nov 2026). Seven files come back (the device returns at most 8): the
# cards hold the results. What it measures (BENCHMARKS.md, "A real GPU"):
#   sweep   fused ≥ 2× tiled at N ≥ 4096, heads 8, dk 64; fused ≥ 25 % of the measured FMA roof;
#           fused-f16 beside fused; the fitted t = a + b·N^p; a benchmark card
#   decode  n = 1 against m = 4096 … 32768 (8 heads on 2 K/V heads): K+V GB/s against the copy
#           roof (target: within 2× of it), split-KV against one split (fused-1split)
#   verify  the built-in kernels, split-KV cases included, on the GPU
# The tfjs ratio: bench runs the tfjs peer on Node's WebGPU once `bash scripts/gpu/pack-tfjs.sh` has
# added TensorFlow.js to the kit (scripts/gpu/issue-12-decode-why.sh measures it).
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv > "$out/gpu.txt" 2>&1 || true

run() {
  local name=$1 limit=$2
  shift 2
  echo "== $name: $*" | tee "$out/$name.txt"
  timeout "$limit" bash .gpu-kit/run.sh "$@" >> "$out/$name.txt" 2>&1
  echo "exit $?" >> "$out/$name.txt"
  tail -40 "$out/$name.txt"
}

run sweep 240 bench --node --n 1024,2048,4096,8192 --dk 64 --heads 8 --variants naive,tiled,fused,fused-f16 \
  --repeats 5 --warmup 2 --no-plot --out /tmp/issue12-sweep --card "$out/card-sweep.json"
run decode 180 bench --node --n 1024 --dk 64 --heads 8 --kv-heads 2 --causal --variants tiled,fused,fused-1split,fused-f16 \
  --decode 4096,16384,32768 --repeats 5 --warmup 2 --no-plot --out /tmp/issue12-decode --card "$out/card-decode.json"
run verify 120 verify
