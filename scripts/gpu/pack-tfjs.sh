#!/usr/bin/env bash
# Adds TensorFlow.js (core and its WebGPU backend) to the packed GPU kit, so that
# `bash .gpu-kit/run.sh bench --node --variants …,tfjs` runs the tfjs peer on a GPU machine without a
# browser (its WebGPU backend finds Dawn as navigator.gpu; scripts/bench.ts). pack.sh leaves
# @tensorflow/* out of its bundle; this bundles the two packages with esbuild into one ESM file each
# (about 2 MB together) under .gpu-kit/node_modules/@tensorflow/, where the bundled scripts find them.
# Run from the project's root after `npm ci` and `../shared/gpu-kit/pack.sh`.
set -euo pipefail
kit=.gpu-kit
[ -d "$kit/node_modules" ] || { echo "no $kit/node_modules: run ../shared/gpu-kit/pack.sh first" >&2; exit 1; }
esbuild=./node_modules/.bin/esbuild
# --ignore-annotations: the backend registers itself and its kernels by side effect, in modules its
# package.json does not list as having any; tree-shaking them away leaves no 'webgpu' backend.
bundle() { # PACKAGE ENTRY [EXTRA esbuild ARGS…]
  local dir="$kit/node_modules/@tensorflow/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  "$esbuild" "node_modules/@tensorflow/$1/$2" --bundle --platform=node --format=esm --target=node20 --minify \
    --outfile="$dir/index.mjs" --log-level=error --ignore-annotations "${@:3}" \
    --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
  printf '{"name":"@tensorflow/%s","version":"%s","type":"module","main":"index.mjs","exports":"./index.mjs"}\n' \
    "$1" "$(node -p "require('./node_modules/@tensorflow/$1/package.json').version")" > "$dir/package.json"
}
# tfjs-core fetches over HTTP only for model loading, which the peer never does: node-fetch stays out.
bundle tfjs-core dist/index.js --external:node-fetch
bundle tfjs-backend-webgpu dist/index.js --external:@tensorflow/tfjs-core
du -sh "$kit/node_modules/@tensorflow"
