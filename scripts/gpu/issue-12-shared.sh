#!/usr/bin/env bash
# Issue 12 on a real GPU, after shared lanes (the prefill in pairs of lanes, fourth session; the
# decoding shape in quads of lanes, fifth session, taking a K/V group's query heads together,
# seventh; none run on a GPU yet): one prepared script, about 7 minutes. Make the kit and the
# kernels it compares first, here: `bash scripts/gpu/prepare.sh`; carry .gpu-kit (and .gl); run
#   bash scripts/gpu/issue-12-shared.sh "$OUT"
# The clock warm-up is on (bench's default on a GPU); every kernel of your own is verified before it
# is timed. Writes 8 files (the device returns at most 8):
#   verify.txt         every built-in kernel on the GPU, the fused kernel's two subgroup forms among them;
#                      then examples/kernels/pv_accumulator_not_reset.wgsl: does this GPU's Dawn zero a
#                      loop body's `var acc: f32;` on every pass (pass, with the loop-var warning), or
#                      keep the last pass's value as SwiftShader does (fail, loop-var hint)?
#   prefill.txt, prefill.card.json
#                      fused ≥ 2× tiled at N = 4096, 8192 (8 heads, dk = 64): fused (pairs of lanes on a
#                      GPU) against fused-unshared (the portable prefill, same subgroup form otherwise),
#                      fused-nosubgroups, and two tile shapes of the portable kernel (fa_tile64,
#                      fa_wg128: a kernel of your own runs without the subgroup form, so compare them
#                      with fused-nosubgroups); paired ratios to fused-unshared, fused-nosubgroups and
#                      tiled. Does halving the workgroup-memory reads per multiply-add lift the 29 %
#                      of the FMA roof the portable prefill reached? And fused-f16 (f16 storage): its
#                      prefill was 1.1–5.3× slower than float32 on the first H200 run, with a cold
#                      clock; is it, warm?
#   decode.txt, decode.card.json
#                      decode within 2× of the copy roof: n = 1, m = 4096 … 32768, 8 heads on 2 K/V
#                      heads, causal: fused (quads of lanes on a GPU, a K/V group's 4 query heads in
#                      one workgroup) against fused-ungrouped (the quads one head a workgroup),
#                      fused-unshared (one lane per batch of keys, merged in subgroups) and
#                      fused-nosubgroups, paired; then 8 K/V heads (no GQA sharing: 4× the unique
#                      bytes) and 32 heads on 8 at m = 8192 and 32768
#   tfjs.txt           the one target never measured on a GPU: fused and tiled against tfjs-webgpu
#   splits.txt         the quads at m = 32768 against forced split counts (is the grid too small?),
#                      paired to one split; one split without subgroups beside it (last: the kit
#                      calls' limits add up to more than the device's 600 s a command, so what runs
#                      out of time is this diagnostic, not a target)
#   clocks.csv         the SM clock every 100 ms (a GPU idles down between short runs)
set -uo pipefail
out=${1:-${OUT:-gpu-results}}
source "$(dirname "$0")/setup.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader >> "$out/verify.txt" 2>&1 || true
kernel() { [ -f ".gpu-kit/$1.wgsl" ] && echo "--kernel fused=.gpu-kit/$1.wgsl"; }

{ echo "== verify"; kit 120 verify; echo "exit $?"
  echo "== loop-var: a loop body's var without initializer (fails on Dawn + SwiftShader)"
  kit 40 verify --stage pv examples/kernels/pv_accumulator_not_reset.wgsl --variant naive; echo "exit $?"; } >> "$out/verify.txt" 2>&1
tail -5 "$out/verify.txt"
common=(--node --n 64 --dk 64 --causal --repeats 5 --warmup 2 --no-plot)
{ echo "== decode: quads (grouped heads), quads one head a workgroup, per-lane in subgroups, portable"
  kit 110 bench "${common[@]}" --heads 8 --kv-heads 2 --decode 4096,16384,32768 \
    --variants fused,fused-ungrouped,fused-unshared,fused-nosubgroups --baseline fused-ungrouped,fused-unshared,fused-nosubgroups \
    --out /tmp/i12-decode --card "$out/decode.card.json"; echo "exit $?"
  echo "== decode: 8 K/V heads (no sharing)"; kit 50 bench "${common[@]}" --heads 8 --kv-heads 8 --decode 32768 \
    --variants fused,fused-unshared --baseline fused-unshared --out /tmp/i12-gqa; echo "exit $?"
  echo "== decode: 32 heads on 8, m = 8192 and 32768 (134 MB of K and V)"; kit 70 bench "${common[@]}" --heads 32 --kv-heads 8 \
    --decode 8192,32768 --variants fused,fused-ungrouped,fused-unshared --baseline fused-ungrouped,fused-unshared \
    --out /tmp/i12-heads; echo "exit $?"; } > "$out/decode.txt" 2>&1
tail -30 "$out/decode.txt"
# shellcheck disable=SC2046
{ echo "== prefill"; kit 150 bench --node --n 4096,8192 --dk 64 --heads 8 \
    --variants tiled,fused,fused-unshared,fused-nosubgroups,fused-f16 $(kernel fa_tile64) $(kernel fa_wg128) \
    --baseline fused-unshared,fused-nosubgroups,tiled --repeats 3 --warmup 1 --no-plot --out /tmp/i12-prefill --card "$out/prefill.card.json"
  echo "exit $?"; } > "$out/prefill.txt" 2>&1
tail -22 "$out/prefill.txt"
{ echo "== tfjs"; kit 100 bench --node --n 2048,4096 --dk 64 --heads 8 --variants tiled,fused,tfjs \
    --repeats 3 --warmup 1 --no-plot --out /tmp/i12-tfjs; echo "exit $?"; } > "$out/tfjs.txt" 2>&1
tail -16 "$out/tfjs.txt"
{ echo "== splits"; kit 80 bench "${common[@]}" --heads 8 --kv-heads 2 --decode 32768 \
    --variants fused,fused-1split,fused-16splits,fused-256splits,fused-1024splits,fused-1split-nosubgroups --baseline fused-1split \
    --out /tmp/i12-splits; echo "exit $?"; } > "$out/splits.txt" 2>&1
tail -16 "$out/splits.txt"
