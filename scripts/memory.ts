/**
 * npm run memory -- [--fact "John went to the kitchen" (repeatable)] [--question "where is the football?"]
 *   [--hops N] [--update residual|rotate] [--r R.npy|.json|.csv] [--temperature T]
 *
 * The key–value memory with hops (src/core/memory.ts) on its worked example (src/core/memory-facts.ts):
 * prints each hop's weight on every fact, the query path (the vocabulary words active in q_t), the
 * answer with every place's score, and each hop's GPU result against the float64 reference computed
 * from the GPU's own query, then the end-to-end difference. Without --fact, the built-in facts.
 * Exit codes: 0 agree within tolerance, 1 disagree, 2 bad input, 3 no WebGPU adapter (the float64
 * hops are printed first).
 */
import { parseMatrix } from '../src/core/io';
import { float32Matrix } from '../src/core/tensor';
import type { MemoryHop, MemoryUpdate } from '../src/core/memory';
import { MAX_HOPS, MEMORY_UPDATES } from '../src/core/memory';
import type { FactsRun } from '../src/core/memory-facts';
import { DEFAULT_FACTS, DEFAULT_QUESTION, DEFAULT_SETUP, VOCABULARY, activeWords, answerOf, runFacts } from '../src/core/memory-facts';
import { AttentionEngine } from '../src/gpu/engine';
import { runMemoryOnGpu } from '../src/gpu/memory-run';
import { loadShaderLibrary } from '../src/node/shaders';
import { EXIT, integer, main, number, openDevice, parseFlags, readInput, UsageError } from './lib/cli';
import { counted } from '../src/core/plural';

const USAGE = `usage: npm run memory -- [--fact "PERSON picked up the OBJECT" | --fact "PERSON went to the PLACE" …]
       [--question "where is the OBJECT?"] [--hops N (1 to ${MAX_HOPS}, default 2)] [--update residual|rotate (default rotate)]
       [--r R.npy|.json|.csv  (the rotate update's d×d matrix; default keeps person and place dimensions, drops objects)]
       [--temperature T (default ${DEFAULT_SETUP.temperature})]
vocabulary (d = ${VOCABULARY.length}, one dimension per word): ${VOCABULARY.join(' ')}`;

function parseCommandLine(argv: string[]) {
  const parsed = parseFlags({
    args: argv,
    options: {
      fact: { type: 'string', multiple: true },
      question: { type: 'string' },
      hops: { type: 'string' },
      update: { type: 'string' },
      r: { type: 'string' },
      temperature: { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
  if (parsed.help) return null;
  const update = parsed.update ?? DEFAULT_SETUP.update;
  if (!(MEMORY_UPDATES as readonly string[]).includes(update))
    throw new UsageError(`--update must be one of ${MEMORY_UPDATES.join(', ')}, got "${update}"`);
  if (parsed.r !== undefined && update !== 'rotate') throw new UsageError('--r is the rotate update’s matrix: use it with --update rotate');
  let rotation = null;
  if (parsed.r !== undefined) {
    const bytes = readInput(parsed.r, '--r');
    rotation = float32Matrix(
      parseMatrix(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, parsed.r, `--r (${parsed.r})`),
    );
  }
  return {
    facts: parsed.fact ?? [...DEFAULT_FACTS],
    question: parsed.question ?? DEFAULT_QUESTION,
    setup: {
      hops: integer(parsed.hops, 'hops', { min: 1, max: MAX_HOPS }) ?? DEFAULT_SETUP.hops,
      update: update as MemoryUpdate,
      rotation,
      temperature: number(parsed.temperature, 'temperature') ?? DEFAULT_SETUP.temperature,
    },
  };
}

const fixed = (x: number, digits = 4) => x.toFixed(digits);
const words = (v: ArrayLike<number>) =>
  activeWords(v)
    .map((w) => `${w.word} ${fixed(w.value, 3)}`)
    .join(', ') || '(nothing ≥ 0.05)';

function printHops(run: FactsRun, hops: MemoryHop[], label: string): void {
  console.log(`\n${label}`);
  hops.forEach((hop, t) => {
    console.log(`hop ${t + 1}: q_${t + 1} = ${words(hop.query)}`);
    run.facts.forEach((fact, j) => {
      const best = hop.weights[j] === Math.max(...hop.weights) ? '  ←' : '';
      console.log(`  ${fixed(hop.weights[j])}  ${fact.text}${best}`);
    });
    console.log(`  o_${t + 1} = ${words(hop.output)}`);
  });
  const answer = answerOf(hops[hops.length - 1].output);
  console.log(`answer: ${answer.place ?? 'no place (no place scores ≥ 0.5 in the final output)'}`);
  console.log(`place scores: ${answer.scores.map((s) => `${s.place} ${fixed(s.score)}`).join(', ')}`);
  if (run.ungrounded) console.log(`note: ${run.ungrounded}`);
}

async function memory(argv: string[]): Promise<number> {
  const cmd = parseCommandLine(argv);
  if (!cmd) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const run = runFacts(cmd.facts, cmd.question, cmd.setup);
  console.log(
    `memory: ${counted(run.facts.length, 'fact')}, question "${cmd.question.trim()}", ${counted(cmd.setup.hops, 'hop')}, update ${cmd.setup.update}`,
  );
  console.log(
    `update: ${cmd.setup.update === 'residual' ? 'q ← q + o' : `q ← R·(q + o), R ${cmd.setup.rotation ? 'from --r' : 'default (drops object dimensions)'}`}`,
  );
  printHops(run, run.hops, 'float64 reference');
  const { device, adapter } = await openDevice();
  const engine = new AttentionEngine(device, loadShaderLibrary());
  const gpu = await runMemoryOnGpu(engine, run.problem);
  printHops(
    run,
    gpu.hops.map((h) => h.gpu),
    `GPU (${adapter}), the query updated on the CPU from the GPU's o_t`,
  );
  console.log('\nGPU vs float64 reference of each hop, from the GPU’s own q_t:');
  gpu.hops.forEach((hop, t) => {
    const { probs, output } = hop.check;
    console.log(
      `  hop ${t + 1}: weights max |Δ| ${probs ? probs.maxAbs.toExponential(2) : 'n/a'}, output max |Δ| ${output.maxAbs.toExponential(2)}: ${hop.check.pass ? 'pass' : 'FAIL'}`,
    );
  });
  console.log(
    `end to end (GPU chain vs float64 chain from q_1): output max |Δ| ${gpu.endToEnd.output.toExponential(2)}, weights max |Δ| ${gpu.endToEnd.weights.toExponential(2)}`,
  );
  console.log(gpu.pass ? 'agree within tolerance' : 'DISAGREE');
  return gpu.pass ? EXIT.ok : EXIT.failed;
}

await main(memory, { usage: USAGE });
