#!/usr/bin/env bash
# Why issue 12's decode row reads K and V at ~3% of the copy bandwidth on an H200 (BENCHMARKS.md,
# "Third H200 session": 0.296 ms at m = 32768, ~0.18 µs per key per workgroup), as one prepared
# script for the next session with a GPU (not run yet). Three questions, each one bench call
# (the clock warm-up on, bench's default on a GPU):
#   splits.txt   Is the grid too small? The fused kernel with the engine's own split count beside
#                forced counts (fused-Nsplits): 8 heads on 2 K/V heads, m = 32768. With 64 splits the
#                grid is 512 workgroups of 64 invocations, a small part of the GPU's threads; if time
#                falls as N grows, occupancy binds; if it stays, the per-workgroup loop does.
#   gqa.txt      Do the 4 query heads of a group each read the group's K and V again? The same row with
#                8 K/V heads (no sharing: 4× the unique K/V bytes, the same work per workgroup). The
#                same time for both would say the reads are re-reads from L2 and the kernel's loop
#                binds; 4× the time would say unique bytes bind.
#   heads.txt    Does a fuller grid help without more splits? 32 heads on 8 K/V heads, m = 8192
#                (the same K/V bytes as 8 on 2 at 32768): 4× the workgroups at the same split count.
#   subgroups.txt  What the 28 Nov (third session) changes buy at decode, and the merge's cost: the
#                kernel's subgroup form (fused: each subgroup merged in registers, then the subgroups
#                in workgroup memory) against its portable form (fused-nosubgroups: 64 lanes
#                through workgroup memory), both with branch-free reads of Q, K and V and o indexed
#                by constants only; and, if present, the kernel before those changes
#                (.gpu-kit/fa_cdf3581.wgsl: a branch around every read, which an in-order GPU may
#                wait on one at a time, and a merge that indexed o at run time, which may put o in
#                local memory). On SwiftShader the branch-free reads made this decode 2.5x faster.
#                Make it from the project's root after pack.sh:
#                  git show cdf3581:shaders/flash_attention.wgsl > .gpu-kit/fa_cdf3581.wgsl
#   tfjs.txt     The last unmeasured GPU target, fused ≥ 3× tfjs-webgpu: tiled, fused and the tfjs peer
#                on Node's WebGPU, N = 2048 and 4096, 8 heads (needs `bash scripts/gpu/pack-tfjs.sh` after
#                pack.sh; without it the step fails and says so).
# Carry the kit as in issue-12-targets.sh (`bash ../shared/gpu-kit/pack.sh`; carry .gpu-kit and
# .gl). Writes verify.txt, splits.txt, gqa.txt, heads.txt, subgroups.txt, subgroups.card.json,
# tfjs.txt and clocks.csv under the folder it is given (8 files: what the device returns at most).
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"

{ echo "== verify"; kit 100 verify; echo "exit $?"; } > "$out/verify.txt" 2>&1
tail -4 "$out/verify.txt"
common=(--node --n 64 --dk 64 --causal --repeats 5 --warmup 2 --no-plot)
{ echo "== splits"; kit 150 bench "${common[@]}" --heads 8 --kv-heads 2 --decode 32768 \
    --variants fused,fused-1split,fused-16splits,fused-64splits,fused-256splits,fused-1024splits,fused-4096splits --baseline fused-1split \
    --out /tmp/issue12-splits; echo "exit $?"; } > "$out/splits.txt" 2>&1
tail -24 "$out/splits.txt"
{ echo "== gqa"; kit 100 bench "${common[@]}" --heads 8 --kv-heads 8 --decode 32768 \
    --variants fused,fused-256splits --out /tmp/issue12-gqa; echo "exit $?"; } > "$out/gqa.txt" 2>&1
tail -16 "$out/gqa.txt"
{ echo "== heads"; kit 100 bench "${common[@]}" --heads 32 --kv-heads 8 --decode 8192 \
    --variants fused,fused-16splits,fused-64splits --out /tmp/issue12-heads; echo "exit $?"; } > "$out/heads.txt" 2>&1
tail -16 "$out/heads.txt"
custom=()
baselines=fused-nosubgroups
if [ -f .gpu-kit/fa_cdf3581.wgsl ]; then
  custom+=(--kernel fused=.gpu-kit/fa_cdf3581.wgsl)
  baselines+=,custom:fa_cdf3581.wgsl
fi
{ echo "== subgroups"; kit 120 bench "${common[@]}" --heads 8 --kv-heads 2 --decode 32768 \
    --variants fused,fused-nosubgroups,fused-256splits,fused-256splits-nosubgroups "${custom[@]}" --baseline "$baselines" \
    --out /tmp/issue12-subgroups --card "$out/subgroups.card.json"; echo "exit $?"; } > "$out/subgroups.txt" 2>&1
tail -16 "$out/subgroups.txt"
{ echo "== tfjs"; kit 150 bench --node --n 2048,4096 --dk 64 --heads 8 --variants tiled,fused,tfjs \
    --repeats 3 --warmup 1 --no-plot --out /tmp/issue12-tfjs; echo "exit $?"; } > "$out/tfjs.txt" 2>&1
tail -20 "$out/tfjs.txt"
