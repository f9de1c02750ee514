#!/usr/bin/env bash
# Everything a session lent a GPU machine needs before its one prepared run, in one command, here
# (with npm), from the project's root: packs the terminal commands into .gpu-kit/
# (../shared/gpu-kit/pack.sh), adds TensorFlow.js to the kit (pack-tfjs.sh) and writes the kernels
# that scripts/gpu/issue-12-shared.sh times beside the built-in one, each made from the kernel of
# this checkout so that only the change it names differs:
#   fa_tile64.wgsl   key tiles of up to 32 KiB of workgroup memory (64 keys at dk = dv = 64) instead
#                    of 16 KiB: half the barriers and tile loads per key, fewer workgroups per SM
#   fa_wg128.wgsl    128 query rows (and invocations) per workgroup instead of 64: each staged tile
#                    serves twice the rows
# Then carry .gpu-kit (and .gl where the machine has no Vulkan loader) and run
#   bash scripts/gpu/issue-12-shared.sh "$OUT"
set -euo pipefail
cd "$(dirname "$0")/../.."
bash ../shared/gpu-kit/pack.sh
bash scripts/gpu/pack-tfjs.sh
src=shaders/flash_attention.wgsl
grep -q '^const WG: u32 = 64u;' "$src" && grep -q 'min(WORKGROUP_BYTES, 16384u)' "$src" || {
  echo "prepare.sh: $src no longer has the lines the variants change; update this script" >&2
  exit 1
}
sed -e 's/min(WORKGROUP_BYTES, 16384u)/min(WORKGROUP_BYTES, 32768u)/' "$src" > .gpu-kit/fa_tile64.wgsl
sed -e 's/^const WG: u32 = 64u;/const WG: u32 = 128u;/' "$src" > .gpu-kit/fa_wg128.wgsl
ls -l .gpu-kit/*.wgsl
