#!/usr/bin/env bash
# Issue 12: which change to the fused kernel pays on a real GPU, as one prepared script. Two
# candidate kernels beside the built-in one, each verified by the bench before it is timed (a
# kernel that fails is not timed), with the clock warm-up on (bench's default on a GPU):
#   fa_regs16.wgsl   Q and the running output in arrays of 16 vec4s instead of 32 (dk ≤ 64 of Q in
#                    registers, value sweeps of 64 columns): fewer registers, more workgroups per SM
#   fa_batch16.wgsl  16 reads in flight per invocation when staging a tile instead of 8
#   flash_attention_eb7d763.wgsl   the kernel before this session, for reference
# Make them from the project's root after pack.sh:
#   sed -e 's/^const Q_PRIVATE: u32 = 32u;/const Q_PRIVATE: u32 = 16u;/' \
#       -e 's/^const O_PRIVATE: u32 = 32u;/const O_PRIVATE: u32 = 16u;/' shaders/flash_attention.wgsl > .gpu-kit/fa_regs16.wgsl
#   sed -e 's/^const STAGE_BATCH: u32 = 8u;/const STAGE_BATCH: u32 = 16u;/' shaders/flash_attention.wgsl > .gpu-kit/fa_batch16.wgsl
#   git show eb7d763:shaders/flash_attention.wgsl > .gpu-kit/flash_attention_eb7d763.wgsl
# Writes decode.txt, decode.card.json, prefill.txt, prefill.card.json and clocks.csv under the folder it is given.
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"
custom=()
for f in fa_regs16 fa_batch16 flash_attention_eb7d763; do [ -f ".gpu-kit/$f.wgsl" ] && custom+=(--kernel "fused=.gpu-kit/$f.wgsl"); done
{ echo "== decode"; kit 150 bench --node --n 64 --dk 64 --heads 8 --kv-heads 2 --causal --variants fused,fused-1split \
    --decode 16384,32768 "${custom[@]}" --repeats 5 --warmup 2 --no-plot --out /tmp/exp-decode --card "$out/decode.card.json"; echo "exit $?"; } > "$out/decode.txt" 2>&1
tail -25 "$out/decode.txt"
{ echo "== prefill"; kit 150 bench --node --n 4096,8192 --dk 64 --heads 8 --variants tiled,fused "${custom[@]}" \
    --repeats 3 --warmup 1 --no-plot --out /tmp/exp-prefill --card "$out/prefill.card.json"; echo "exit $?"; } > "$out/prefill.txt" 2>&1
tail -25 "$out/prefill.txt"
