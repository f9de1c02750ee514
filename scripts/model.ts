/**
 * npm run model -- [--model FILE|DIR] --text "…" [--layer L --head H] [--dump DIR] [--generate N]
 *   [--variant naive|tiled|fused] [--storage f32|f16] [--kernel STAGE=FILE.wgsl] [--top K] [--json]
 *
 * Runs a model (the built-in one, or a GGUF / safetensors checkpoint) over the text with every
 * layer's attention on the playground's kernels, checks each head against the float64 reference of
 * its own inputs and the logits against the float64 forward pass, and prints the tokens, the most
 * likely next tokens and the verdicts. --generate N adds N tokens greedily, each a decode step over
 * the KV cache, checked the same way. --storage f16 stores Q, K and V as halves in the layers that
 * can have it, as the page's storage select does (the others run float32, and a note says why). --dump DIR writes each head's Q, K (after RoPE), V and
 * attention as .npy, with the `npm run attention` command that replays it.
 * Exit codes: 0 every check passed, 1 a check failed, 2 a bad file, flag or text, 3 no WebGPU adapter.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeMatrix } from '../src/core/io';
import type { LoadedModel } from '../src/core/model/loaded';
import { emptyCache, topK } from '../src/core/model/forward';
import type { HeadCheck, LogitsCheck } from '../src/core/model/check';
import { checkLayerHeads, checkLogits, headInputs } from '../src/core/model/check';
import { headRoleLabel } from '../src/core/model/roles';
import { parameterCount } from '../src/core/model/config';
import { READABLE_GGML_TYPES } from '../src/core/model/ggml-types';
import { InputError } from '../src/core/errors';
import type { Precision } from '../src/core/precision';
import { PRECISIONS } from '../src/core/precision';
import { layerPrecisions, modelRunPrecision, storageNote } from '../src/core/model/storage';
import { AttentionEngine } from '../src/gpu/engine';
import type { ModelStepRun } from '../src/gpu/model-run';
import { checkModelFitsDevice, layerStages, runModelStep } from '../src/gpu/model-run';
import type { StageName } from '../src/core/stages';
import type { VariantName } from '../src/gpu/variants';
import { isVariant, VARIANT_NAMES } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { loadModel } from '../src/model/load';
import {
  checkKernelStages,
  EXIT,
  integer,
  main,
  makeFolder,
  openDevice,
  parseFlags,
  parseKernelFlags,
  required,
  UsageError,
  writableFolder,
} from './lib/cli';
import { BUILTIN_MODEL_DIR, readModelFiles } from './lib/model-files';
import { STORAGE_HELP, storageFlag } from './lib/model-storage';
import { counted } from '../src/core/plural';

const USAGE = `usage: npm run model -- --text "…" [--model FILE|DIR] [--layer L --head H] [--dump DIR] [--generate N]
       [--variant ${VARIANT_NAMES.join('|')}] [--storage ${PRECISIONS.join('|')}] [--kernel STAGE=FILE.wgsl] [--top K] [--json]
--model     a .gguf file (llama; ${READABLE_GGML_TYPES.join(', ')}), a .safetensors file with config.json and
            tokenizer.json beside it (Hugging Face Llama or GPT-2), a llama2.c checkpoint and its
            tokenizer named together (MODEL.bin,TOKENIZER.bin), or a directory holding one of these
            or a sharded .safetensors checkpoint's shards (and its roles.json, when it has one,
            whatever the format);
            default: the built-in model (src/assets/model, made by npm run train-model)
--layer/--head  print that head's attention (each token's strongest keys among those it sees; --json: focus); with --dump, dump only it
--dump DIR  write each head's Q, K (after RoPE), V and attention as .npy, and replay.sh
--generate N  add N tokens greedily, each a decode step over the KV cache (at most up to the model's context; it says when it stops there)
${STORAGE_HELP}
--kernel STAGE=FILE  run a stage with your own WGSL (see docs/kernel-interface.md)`;

function parseCommandLine(argv: string[]) {
  const v = parseFlags({
    args: argv,
    options: {
      model: { type: 'string' },
      text: { type: 'string' },
      layer: { type: 'string' },
      head: { type: 'string' },
      dump: { type: 'string' },
      generate: { type: 'string' },
      variant: { type: 'string' },
      storage: { type: 'string' },
      kernel: { type: 'string', multiple: true },
      top: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }).values;
  if (v.help) return null;
  const variant = v.variant ?? 'tiled';
  if (!isVariant(variant)) throw new UsageError(`--variant must be one of ${VARIANT_NAMES.join(', ')}, got "${variant}"`);
  const layer = integer(v.layer, 'layer');
  const head = integer(v.head, 'head');
  if ((layer === undefined) !== (head === undefined)) throw new UsageError('--layer and --head go together');
  return {
    model: v.model ?? BUILTIN_MODEL_DIR,
    text: required(v.text, 'text'),
    focus: layer === undefined ? null : { layer, head: head! },
    dump: v.dump === undefined ? null : writableFolder(v.dump, '--dump'),
    generate: integer(v.generate, 'generate') ?? 0,
    variant,
    storage: storageFlag(v.storage),
    kernels: modelKernels(v.kernel ?? [], variant),
    top: integer(v.top, 'top', { min: 1 }) ?? 5,
    json: v.json ?? false,
  };
}

/** The --kernel files, for stages a model's run reaches: the variant's, and RoPE (the models that rotate). */
function modelKernels(flags: string[], variant: VariantName): Partial<Record<StageName, string>> {
  const kernels = parseKernelFlags(flags);
  checkKernelStages(kernels, variant, ['rope']);
  return kernels;
}

interface StepReport {
  ids: number[];
  run: ModelStepRun;
  heads: HeadCheck[];
  logits: LogitsCheck;
}

async function checkStep(model: LoadedModel, ids: number[], run: ModelStepRun): Promise<StepReport> {
  const heads = run.layers.flatMap(({ call, result }) => checkLayerHeads(call, layerStages(result)));
  // Each layer's bound includes f16's rounding of its Q, K and V where that layer stored halves.
  const logits = await checkLogits(model.weights, ids, run.step.logits, {
    onlineSoftmax: run.layers[0].result.onlineSoftmax,
    precisions: layerPrecisions(run.layers),
  });
  return { ids, run, heads, logits };
}

const tokenText = (model: LoadedModel, id: number) => JSON.stringify(model.tokenizer.tokenText(id));

function describeModel(model: LoadedModel): string {
  const c = model.weights.config;
  const types = Object.entries(model.source.tensorTypes)
    .map(([t, count]) => `${count} ${t}`)
    .join(', ');
  return (
    `model ${c.name}: ${c.architecture}, ${c.layers} layers, ${c.heads} heads / ${c.kvHeads} kv heads of ${c.headDim}, ` +
    `d_model ${c.dModel}, vocabulary ${c.vocabSize}, ${(parameterCount(model.weights) / 1e6).toFixed(2)}M parameters ` +
    `(${model.source.format}: ${types})`
  );
}

function headLine(model: LoadedModel, h: HeadCheck): string {
  const role = model.roles?.heads.find((r) => r.layer === h.layer && r.head === h.head);
  const label = role ? headRoleLabel(role) : null;
  const worst = h.output.firstBad ?? h.output.worst;
  return (
    `  L${h.layer} H${h.head} (kv ${h.kvHead})  ${h.pass ? 'PASS' : 'FAIL'}  output max|Δ| ${h.output.maxAbs.toExponential(2)}` +
    (h.probs ? `  probs max|Δ| ${h.probs.maxAbs.toExponential(2)}` : '') +
    (!h.pass && worst ? `  worst at row ${worst.position[1]} col ${worst.position[2]}: ${worst.actual} vs ${worst.expected}` : '') +
    (label ? `  ${label}` : '')
  );
}

/** A token of the sequence by its position. */
interface PlacedToken {
  position: number;
  id: number;
  text: string;
}

/** What --layer L --head H shows: each query token's strongest visible keys (float64 reference), and the head's measured roles. */
interface HeadFocus {
  layer: number;
  head: number;
  rows: { query: PlacedToken; keys: (PlacedToken & { weight: number })[] }[];
  roles: { previousToken: number; induction: number; antecedent: number } | null;
}

/**
 * The head's attention rows: each query token's three strongest keys among those it sees (the model
 * is causal: keys up to its own position; a masked key's weight 0 is never "strongest").
 */
function headFocus(model: LoadedModel, report: StepReport, layer: number, head: number): HeadFocus {
  const check = report.heads.find((h) => h.layer === layer && h.head === head)!;
  const m = report.ids.length;
  const n = check.referenceProbs.length / m;
  const placed = (position: number): PlacedToken => ({
    position,
    id: report.ids[position],
    text: model.tokenizer.tokenText(report.ids[position]),
  });
  const rows = Array.from({ length: n }, (_, i) => {
    const position = m - n + i;
    const keys = Array.from(check.referenceProbs.subarray(i * m, i * m + position + 1))
      .map((weight, j) => ({ ...placed(j), weight }))
      .sort((a, b) => b.weight - a.weight)
      .slice(0, 3);
    return { query: placed(position), keys };
  });
  const role = model.roles?.heads.find((r) => r.layer === layer && r.head === head);
  const roles = role ? { previousToken: role.previousToken, induction: role.induction, antecedent: role.antecedent } : null;
  return { layer, head, rows, roles };
}

function focusLines(focus: HeadFocus): string[] {
  const token = (t: PlacedToken) => `${JSON.stringify(t.text)}@${t.position}`;
  const lines = [`attention of layer ${focus.layer} head ${focus.head} (each token's strongest keys it sees, float64 reference):`];
  for (const { query, keys } of focus.rows)
    lines.push(`  ${token(query)} → ${keys.map((k) => `${token(k)} ${k.weight.toFixed(2)}`).join('  ')}`);
  const r = focus.roles;
  if (r)
    lines.push(
      `  measured roles: previous-token ${r.previousToken.toFixed(2)}, induction ${r.induction.toFixed(2)}, antecedent ${r.antecedent.toFixed(2)}`,
    );
  return lines;
}

/** Each head's rotated Q, K, V and attention as .npy, and the command that replays it. */
function dump(dir: string, report: StepReport, focus: { layer: number; head: number } | null): string[] {
  const commands: string[] = [];
  makeFolder(dir);
  for (const { call, result } of report.run.layers) {
    for (let t = 0; t < call.options.heads; t++) {
      if (focus && (focus.layer !== call.layer || focus.head !== t)) continue;
      // The head's inputs after RoPE (the GPU's rotated Q and K, when RoPE ran), so the replay needs no RoPE.
      const rotated = result.rotated
        ? {
            ...call,
            inputs: {
              ...call.inputs,
              q: { rows: call.inputs.q.rows, cols: call.inputs.q.cols, data: result.rotated.q },
              k: { rows: call.inputs.k.rows, cols: call.inputs.k.cols, data: result.rotated.k },
            },
          }
        : call;
      const single = headInputs(rotated, t);
      const check = report.heads.find((h) => h.layer === call.layer && h.head === t)!;
      const n = single.q.rows;
      const m = single.k.rows;
      const base = join(dir, `L${call.layer}H${t}`);
      const attention = {
        rows: n,
        cols: m,
        data: Float32Array.from(result.probs?.subarray(t * n * m, (t + 1) * n * m) ?? check.referenceProbs),
      };
      for (const [suffix, matrix] of [
        ['q', single.q],
        ['k', single.k],
        ['v', single.v],
        ['attention', attention],
      ] as const)
        writeFileSync(`${base}.${suffix}.npy`, new Uint8Array(serializeMatrix(matrix, 'npy') as ArrayBuffer));
      commands.push(`npm run attention -- --q ${base}.q.npy --k ${base}.k.npy --v ${base}.v.npy --causal`);
    }
  }
  writeFileSync(
    join(dir, 'replay.sh'),
    `#!/bin/sh\n# Each head of the model run, replayed through npm run attention (Q and K are after RoPE).\n${commands.join('\n')}\n`,
  );
  return commands;
}

/** "storage f16: f16 in layers 0, 1": what was asked for, and what each layer stored. */
function storageLine(storage: Precision, run: ModelStepRun): string {
  const layers = layerPrecisions(run.layers);
  const used = PRECISIONS.filter((p) => layers.includes(p)).map((p) => {
    const at = layers.flatMap((q, l) => (q === p ? [l] : []));
    return `${p} in ${at.length === layers.length ? 'every layer' : `layer${at.length === 1 ? '' : 's'} ${at.join(', ')}`}`;
  });
  return `storage ${storage}: ${used.join(', ')}`;
}

/** Why fewer tokens were generated than asked: the text and the tokens made fill the model's context. */
function contextStopLine(g: { asked: number; made: number; contextLength: number }, textTokens: number): string {
  const tokens = (n: number) => counted(n, 'token');
  const were = g.made === 1 ? 'was' : 'were';
  return `generation stopped at the model's context of ${tokens(g.contextLength)}: ${g.made} of the ${tokens(g.asked)} asked for ${were} made (the text has ${tokens(textTokens)})`;
}

async function model(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv);
  if (!cli) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const loaded = await loadModel(readModelFiles(cli.model));
  const config = loaded.weights.config;
  if (cli.focus && (cli.focus.layer >= config.layers || cli.focus.head >= config.heads))
    throw new UsageError(
      `--layer ${cli.focus.layer} --head ${cli.focus.head}: the model has ${config.layers} layers of ${config.heads} heads`,
    );
  const ids = loaded.tokenizer.encode(cli.text);
  if (ids.length === 0) throw new InputError('--text has no tokens');
  const { device, adapter } = await openDevice();
  try {
    checkModelFitsDevice(config, device.limits);
    const engine = new AttentionEngine(device, loadShaderLibrary());
    // As the page's storage select: f16 in each layer that can have it, float32 (and a note) in the others.
    const options = { variant: cli.variant, kernels: cli.kernels, precision: modelRunPrecision(cli.storage) };
    const prefill = await runModelStep(engine, loaded.weights, emptyCache(config), ids, options);
    const reports = [await checkStep(loaded, ids, prefill)];
    const sequence = [...ids];
    for (let g = 0; g < cli.generate && sequence.length < config.contextLength; g++) {
      const last = reports[reports.length - 1];
      const next = topK(last.run.step.logits, 1)[0].id;
      sequence.push(next);
      const step = await runModelStep(engine, loaded.weights, last.run.step.cache, [next], options);
      reports.push(await checkStep(loaded, [...sequence], step));
    }
    const made = sequence.length - ids.length;
    // The context is full before N: say so, rather than print fewer tokens as if that were all.
    const stoppedAtContext = made < cli.generate;
    const generation = { asked: cli.generate, made, contextLength: config.contextLength, stoppedAtContext };
    const first = reports[0];
    const next = topK(first.run.step.logits, cli.top);
    const pass = reports.every((r) => r.logits.pass && r.heads.every((h) => h.pass));
    const dumped = cli.dump ? dump(cli.dump, first, cli.focus) : [];
    const focus = cli.focus ? headFocus(loaded, first, cli.focus.layer, cli.focus.head) : null;
    if (cli.json) {
      console.log(
        JSON.stringify({
          pass,
          model: { ...config, parameters: parameterCount(loaded.weights), source: loaded.source },
          adapter,
          variant: cli.variant,
          storage: cli.storage,
          tokens: ids.map((id) => ({ id, text: loaded.tokenizer.tokenText(id) })),
          next: next.map((t) => ({ ...t, text: loaded.tokenizer.tokenText(t.id) })),
          steps: reports.map((r) => ({
            tokens: r.ids.length,
            heads: r.heads.map((h) => ({
              layer: h.layer,
              head: h.head,
              kvHead: h.kvHead,
              pass: h.pass,
              maxAbs: h.output.maxAbs,
              role: loaded.roles ? headRoleLabel(loaded.roles.heads.find((x) => x.layer === h.layer && x.head === h.head)!) : null,
            })),
            logits: { pass: r.logits.pass, maxAbs: r.logits.comparison.maxAbs, tolerance: r.logits.tolerance, sameTop: r.logits.sameTop },
            layerMs: r.run.layerMs,
            storage: { layers: layerPrecisions(r.run.layers), note: storageNote(cli.storage, r.run.layers) },
          })),
          generated: sequence.slice(ids.length).map((id) => ({ id, text: loaded.tokenizer.tokenText(id) })),
          generation,
          dumped,
          focus,
        }),
      );
      return pass ? EXIT.ok : EXIT.failed;
    }
    console.log(describeModel(loaded));
    console.log(`variant ${cli.variant} on ${adapter}`);
    console.log(storageLine(cli.storage, first.run));
    const firstNote = storageNote(cli.storage, first.run.layers);
    if (firstNote) console.log(firstNote);
    console.log(`tokens (${ids.length}): ${ids.map((id) => `${tokenText(loaded, id)}:${id}`).join(' ')}`);
    console.log(`next token: ${next.map((t) => `${tokenText(loaded, t.id)} ${t.probability.toFixed(3)}`).join(' · ')}`);
    reports.forEach((r, s) => {
      const title =
        s === 0
          ? `heads vs float64 (${counted(r.ids.length, 'token')}):`
          : `decode step ${s} (${tokenText(loaded, r.ids[r.ids.length - 1])}):`;
      console.log(title);
      for (const h of r.heads) if (s === 0 || !h.pass) console.log(headLine(loaded, h));
      // A decode step's values may leave a half's range where the text's did not: its note, when it differs.
      const note = storageNote(cli.storage, r.run.layers);
      if (s > 0 && note && note !== storageNote(cli.storage, reports[s - 1].run.layers)) console.log(`  ${note}`);
      const failed = r.heads.filter((h) => !h.pass).length;
      if (s > 0) console.log(`  ${r.heads.length - failed}/${r.heads.length} heads pass`);
      const l = r.logits;
      console.log(
        `  logits vs float64: ${l.pass ? 'PASS' : 'FAIL'}  max|Δ| ${l.comparison.maxAbs.toExponential(2)} (tolerance ${l.tolerance.toExponential(2)})${l.sameTop ? '' : ', a different top token'}`,
      );
    });
    if (cli.generate > 0) console.log(`generated: ${JSON.stringify(loaded.tokenizer.decode(sequence.slice(ids.length)))}`);
    if (stoppedAtContext) console.log(contextStopLine(generation, ids.length));
    if (focus) for (const line of focusLines(focus)) console.log(line);
    if (cli.dump) console.log(`wrote ${counted(dumped.length, 'head')} to ${cli.dump} (replay: sh ${join(cli.dump, 'replay.sh')})`);
    console.log(pass ? 'every head and the logits agree with float64' : 'a check FAILED');
    return pass ? EXIT.ok : EXIT.failed;
  } finally {
    device.destroy();
  }
}

await main(model, { usage: USAGE });
