/**
 * The attention engine: runs a variant's stages on a GPUDevice it is given, in Node or the page —
 * QKᵀ → softmax → P·V for the three-pass variants (naive, tiled), one online-softmax pass for
 * fused — then the optional output projection ·W_o.
 *
 * Query rows are processed in blocks small enough that every per-row buffer (for the three-pass
 * variants, above all the h×rows×m score matrix) fits one storage binding; each block is one queue
 * submission of the stages. The fused variant stores no scores, so it runs in one block far past
 * the point where the three-pass variants must split. Every buffer a run creates is destroyed
 * before it returns.
 */
import { poisonArray } from '../core/poison';
import type { AttentionInputs, AttentionShape } from '../core/shapes';
import { checkInputs, resolveRows } from '../core/shapes';
import type { Activation, AttentionOptions, ScoreFunction } from '../core/options';
import { packScoring } from '../core/scoring';
import { causalShift, resolveScale, withDefaults } from '../core/options';
import type { FeatureName } from '../core/features';
import { activeFeatures, FEATURE_INFO, resolveAlibiSlopes, resolveSinks, ropeDims } from '../core/features';
import type { Matrix } from '../core/tensor';
import type { StageName } from '../core/stages';
import { DeviceLostError, GpuValidationError, KernelInterfaceError, LimitError } from './errors';
import { InputError, RunCancelledError } from '../core/errors';
import type { BufferName, DispatchSize, KernelParams, KernelProblem } from './interface';
import { DECODE_MAX_ROWS, fusedHeadWorkgroups, fusedRowsPerWorkgroup, packParams, PARAMS_BYTES, quadHeads, STAGES } from './interface';
import type { KeySplits } from '../core/key-splits';
import { chooseKeySplits, forcedKeySplits, SOFTWARE_TARGET_WORKGROUPS } from '../core/key-splits';
import { isSoftwareAdapter } from './device';
import type { CompiledKernel, KernelDiagnosis } from './kernels';
import { diagnoseKernel, diagnosisError } from './kernels';
import { SCORE_CONSTANTS } from './reflect';
import type { KernelChoice, ShaderLibrary, VariantName } from './variants';
import { hasIntermediates, stageShaderFile, variantStages } from './variants';
import { StageTimer } from './pass-timing';
import type { BufferPool, Upload } from './buffer-pool';
import type { Precision, PrecisionChoice, PrecisionDecision } from '../core/precision';
import { resolvePrecision } from '../core/precision';
import { packHalves } from '../core/half';
import { declaresF16Storage, halfStorageSource } from './half-storage';
import type { SharedLanes, SubgroupChoice, SubgroupDecision, SubgroupLayout } from '../core/subgroups';
import { resolveSubgroups, sharedLanesOf } from '../core/subgroups';
import type { PrefillRows, PrefillRowsDecision } from '../core/prefill-rows';
import { choosePrefillRows, DEFAULT_PREFILL_ROWS } from '../core/prefill-rows';
import { prefillRowsSource } from './prefill-rows';
import { probeSubgroupLayout, subgroupSource } from './subgroups';

export interface RunOptions {
  variant?: VariantName;
  /**
   * Caller-supplied WGSL replacing the built-in kernel of a stage (same interface). Only the stages
   * the run executes are used: qk/softmax/pv for naive and tiled, fused for fused, and project
   * when the inputs carry W_o; others are ignored.
   */
  kernels?: Partial<Record<StageName, string>>;
  /**
   * Also read back the scores and probabilities. Only the three-pass variants have them: a fused
   * run never writes them, and returns scores and probs as null whatever this says.
   */
  intermediates?: boolean;
  /**
   * Run the variant's stages only up to and including this one (the verifier checks one stage; the
   * ones after it need not run). The tensors of stages that did not run hold zeros, or NaN with poison.
   */
  lastStage?: StageName;
  /** Fill every output buffer with NaN first, so an element a kernel never writes cannot pass. */
  poison?: boolean;
  /**
   * Storage of Q, K and V: 'f32' (default), 'f16' (halves, unpacked to float32 in the kernel; the
   * fused variant without RoPE only, refused with the reasons otherwise) or 'auto' (f16 where
   * possible). See src/core/precision.ts.
   */
  precision?: PrecisionChoice;
  /** Only query rows [start, end) against all keys. */
  rows?: [number, number];
  /** Upper bound on rows per block (the engine picks the largest that fits the device otherwise). */
  maxBlockRows?: number;
  /**
   * Upper bound on one block's multiply-adds (rows × h × m × (dk + dv)), so that a long run is
   * many short queue submissions: progress can be shown and a cancel lands after the block in
   * flight. At least one row per block, whatever this says.
   */
  maxBlockWork?: number;
  /**
   * Split-KV: key splits for the fused stage (1 = none). Default: chooseKeySplits of the whole
   * problem (src/core/key-splits.ts). A fused kernel that does not declare SUPPORTS_KEY_SPLITS
   * always runs with one split, whatever this says.
   */
  keySplits?: number;
  /**
   * Subgroups in the fused kernel: 'auto' (default) where the device has them and lays them out as
   * runs of consecutive invocations, with the shared lanes measured to gain there (on a GPU the
   * decoding shape in quads, on a CPU emulator only quads of 3 or more grouped heads); 'shared' /
   * 'merge' that form with / without shared lanes (the prefill in pairs, the decoding shape in
   * quads) on any such device; 'off' never.
   * See src/core/subgroups.ts.
   */
  subgroups?: SubgroupChoice;
  /**
   * Whether the decoding shape in quads takes the query heads of a K/V group together, reading each
   * key once for all of them (QUAD_HEADS, src/gpu/interface.ts), where the subgroup choice takes
   * them so (src/core/subgroups.ts: 'shared' everywhere, 'auto' on a CPU emulator). false: one query
   * head a workgroup whatever the choice, to compare the two.
   */
  groupHeads?: boolean;
  /**
   * Query rows a workgroup of the fused kernel's prefill shape owns (its WG): 64 as written, 128
   * measured faster on a GPU; default by the device (src/core/prefill-rows.ts). The decoding shape
   * and a kernel of your own keep their own.
   */
  prefillRows?: PrefillRows;
  /** Called after each block's results are read back: `done` of `total` query rows finished. */
  onBlock?: (done: number, total: number) => void;
  /**
   * Take the run's buffers from this pool and give them back when it ends, instead of creating and
   * destroying them; with the pool's sameInputs, inputs it holds already are not uploaded again
   * (src/gpu/buffer-pool.ts). The profiler's repeats use one; the verifier never does.
   */
  buffers?: BufferPool;
  signal?: AbortSignal;
}

/** Milliseconds of GPU time per stage that ran, summed over blocks. */
export type StageTimings = Partial<Record<StageName, number>>;

export interface RunResult {
  /** The whole problem (shape.n counts every query row, also when `rows` picked a range). */
  shape: AttentionShape;
  rows: [number, number];
  /** rows × (h·dv): the heads' outputs, concatenated. */
  output: Matrix;
  /** rows × d_model: output · W_o, when the inputs carry W_o; else null. */
  projected: Matrix | null;
  /**
   * Q (rows × (h·dk)) and K (m × (kvHeads·dk)) after the RoPE stage, when RoPE is on and
   * intermediates were requested; else null.
   */
  rotated: { q: Float32Array; k: Float32Array } | null;
  /** h × rows × m, when intermediates were requested from a three-pass variant; else null. */
  scores: Float32Array | null;
  probs: Float32Array | null;
  /** null when the adapter has no timestamp-query */
  gpuTimings: StageTimings | null;
  /**
   * GPU time from the first pass's begin to the last pass's end of each block, summed over blocks:
   * the passes and the gaps between them. null when gpuTimings is.
   */
  gpuSpanMs: number | null;
  wallMs: number;
  blocks: number;
  variant: VariantName;
  /** The stages each block ran, in order (combine only when the fused stage split the keys). */
  stages: StageName[];
  /** Key splits of the fused stage (1 for the three-pass variants and runs without split-KV). */
  keySplits: number;
  /**
   * Keys per split (a multiple of 64; m without splits). Forced splits of few keys leave the
   * trailing ones empty: ⌈m / splitKeys⌉ of them hold keys (keySplitsHoldingKeys).
   */
  splitKeys: number;
  /** True when the output came from a one-pass online softmax (fused): see fusedOutputTolerance. */
  onlineSoftmax: boolean;
  /** The storage precision of Q, K and V the kernels read (checks add f16's rounding to their bounds). */
  precision: Precision;
  /** Why that precision (the choice 'auto' made, or what was asked for). */
  precisionReason: string;
  /** True when the fused kernel ran in its subgroup form (src/core/subgroups.ts). */
  subgroups: boolean;
  /** How that form's shape shared lanes: 'pairs' (prefill), 'quads' (decoding), null when not (or without the form). */
  subgroupLanes: SharedLanes | null;
  /**
   * Query heads one fused workgroup took: more than 1 when the decoding shape in quads took the heads
   * of a K/V group together (QUAD_HEADS); 1 otherwise, and for the other variants.
   */
  headsPerWorkgroup: number;
  /** Why it did or did not. */
  subgroupsReason: string;
  /**
   * Query rows one fused workgroup owned: 1 in the decoding shape, 64 or 128 in the prefill's
   * (src/core/prefill-rows.ts), a kernel of your own its workgroup size; null for the other variants.
   */
  rowsPerWorkgroup: number | null;
  /** Why the prefill took those rows. */
  rowsReason: string;
}

/**
 * The form a built-in kernel is built in: its storage precision, and the fused kernel's subgroup
 * form, with its prefill in pairs of lanes unless `pairs` is false and its decoding shape in quads
 * unless `quads` is false, the quads taking a K/V group's query heads together unless `groupHeads`
 * is false.
 */
export interface KernelForm {
  precision?: Precision;
  subgroups?: boolean;
  pairs?: boolean;
  quads?: boolean;
  groupHeads?: boolean;
  /** Query rows a workgroup of the prefill shape (WG; default 64: the kernel as written). */
  rows?: PrefillRows;
}

interface Plan {
  shape: AttentionShape;
  params: Omit<KernelParams, 'n' | 'causalShift'>;
  start: number;
  end: number;
  blockRows: number;
  stages: StageName[];
  kernels: Partial<Record<StageName, CompiledKernel>>;
  /** Per-head ALiBi slopes and sink logits (float32), when on. */
  slopes: Float32Array | null;
  sinks: Float32Array | null;
  precision: Precision;
  /** The score function, which picks the qk kernel and the scoring buffer's contents. */
  score: ScoreFunction;
}

const F32 = 4;
/** The kernel form of a run with these subgroup decisions (precision aside). */
function formOf(subgroups: SubgroupDecision, run: RunOptions, rows: PrefillRowsDecision): Omit<KernelForm, 'precision'> {
  return {
    subgroups: subgroups.subgroups,
    pairs: subgroups.pairs,
    quads: subgroups.quads,
    groupHeads: subgroups.groupHeads && run.groupHeads !== false,
    rows: rows.rows,
  };
}

/** Bytes rounded up to whole vec4f (16 bytes). */
const vec4Bytes = (bytes: number) => Math.ceil(bytes / 16) * 16;
const FUSED_HINT = "Use variant 'fused': it never stores the scores, and its dispatch does not grow with the number of keys.";

type PlanningLimitName =
  'maxStorageBufferBindingSize' | 'maxBufferSize' | 'maxComputeWorkgroupsPerDimension' | 'maxComputeWorkgroupStorageSize';
type PlanningLimits = Record<PlanningLimitName, number>;

export interface EngineOptions {
  /**
   * Lower some device limits, to plan as a smaller device would (tests use it to force row blocks,
   * or the fused kernel's smaller tiles). Values above the device's own limits are ignored.
   */
  limits?: Partial<PlanningLimits>;
}

export class AttentionEngine {
  private lostReason: string | null = null;
  readonly limits: PlanningLimits;

  constructor(
    readonly device: GPUDevice,
    readonly shaders: ShaderLibrary,
    options: EngineOptions = {},
  ) {
    const own = device.limits;
    const lower = (name: PlanningLimitName) => Math.min(own[name], options.limits?.[name] ?? Infinity);
    this.limits = {
      maxStorageBufferBindingSize: lower('maxStorageBufferBindingSize'),
      maxBufferSize: lower('maxBufferSize'),
      maxComputeWorkgroupsPerDimension: lower('maxComputeWorkgroupsPerDimension'),
      maxComputeWorkgroupStorageSize: lower('maxComputeWorkgroupStorageSize'),
    };
    // device.lost never rejects: it resolves once, when the device goes.
    void device.lost.then((info) => {
      this.lostReason = info.message || info.reason || 'unknown reason';
    });
  }

  get hasTimestamps(): boolean {
    return this.device.features.has('timestamp-query');
  }

  get lost(): string | null {
    return this.lostReason;
  }

  /**
   * The built-in kernel source of a stage: the variant's file, or the projection for `project`;
   * for the fused kernel in another form, with f16 storage its storage block swapped for halves
   * (./half-storage.ts), with subgroups its entry point and merge for the subgroup form (./subgroups.ts).
   */
  source(variant: VariantName, stage: StageName, form: KernelForm = {}, choice: KernelChoice = {}): string {
    const file = stageShaderFile(variant, stage, choice);
    if (file === undefined) {
      if (stageShaderFile(variant, stage) !== undefined)
        throw new RangeError(`variant ${variant} has no ${stage} kernel for the ${choice.score ?? 'dot'} score function`);
      throw new RangeError(`variant ${variant} has no ${stage} stage (it runs ${variantStages(variant).join(', ')})`);
    }
    const source = this.shaders[file];
    if (source === undefined) throw new Error(`shader ${file} is missing from the shader library`);
    if (stage !== 'fused') return source;
    const rowed = form.rows === undefined ? source : prefillRowsSource(source, form.rows);
    const stored = form.precision === 'f16' ? halfStorageSource(rowed, this.shaders) : rowed;
    return form.subgroups
      ? subgroupSource(stored, this.shaders, { pairs: form.pairs, quads: form.quads, groupHeads: form.groupHeads })
      : stored;
  }

  /**
   * A stage's kernel, built-in or `custom`, through the kernels' front door (./kernels.ts): compiler
   * messages, interface problems and, when it fits, the pipeline, created with the override
   * constants the interface sets from this engine's limits and the problem, when given (for fused:
   * WORKGROUP_BYTES, which bounds its key tiles, and the head-width buckets).
   */
  diagnose(
    stage: StageName,
    variant: VariantName,
    custom?: string,
    problem?: KernelProblem,
    form: KernelForm = {},
    choice: KernelChoice = {},
  ): Promise<KernelDiagnosis> {
    const score = choice.score && choice.score !== 'dot' ? `.${choice.score}` : '';
    const activation = choice.activation && choice.activation !== 'softmax' ? `.${choice.activation}` : '';
    const label = custom
      ? `Attention.${stage}.custom`
      : `Attention.${stage}.${variant}${score}${activation}${form.precision === 'f16' ? '.f16' : ''}${form.subgroups ? `.subgroups${form.pairs === false ? '' : '.pairs'}${form.quads === false ? '' : `.quads${form.groupHeads === false ? '' : '.heads'}`}` : ''}${form.rows && form.rows !== DEFAULT_PREFILL_ROWS ? `.rows${form.rows}` : ''}`;
    return diagnoseKernel(this, stage, custom ?? this.source(variant, stage, form, choice), { label, problem });
  }

  /** The pipeline of diagnose(); throws KernelCompileError or KernelInterfaceError when there is none. */
  async kernel(
    stage: StageName,
    variant: VariantName,
    custom?: string,
    problem?: KernelProblem,
    form: KernelForm = {},
    choice: KernelChoice = {},
  ): Promise<CompiledKernel> {
    const diagnosis = await this.diagnose(stage, variant, custom, problem, form, choice);
    if (!diagnosis.kernel) throw diagnosisError(diagnosis)!;
    return diagnosis.kernel;
  }

  async run(inputs: AttentionInputs, partial: Partial<AttentionOptions> = {}, run: RunOptions = {}): Promise<RunResult> {
    const started = performance.now();
    this.throwIfLost();
    const options = withDefaults(partial);
    const pool = run.buffers;
    const shape = checkInputs(inputs, options, (data) => pool?.checked(data) ?? false);
    pool?.markChecked([inputs.q, inputs.k, inputs.v, inputs.mask, inputs.wo].flatMap((t) => (t ? [t.data] : [])));
    const variant = run.variant ?? 'tiled';
    if (options.score !== 'dot' && !hasIntermediates(variant))
      throw new InputError(
        `the ${variant} variant computes dot-product scores only, not the ${options.score} score function: use variant naive or tiled`,
      );
    if (options.activation !== 'softmax' && !hasIntermediates(variant))
      throw new InputError(
        `the ${variant} variant computes an online softmax in one pass and has no ${options.activation}: use variant naive or tiled for an elementwise activation (or activation softmax)`,
      );
    const choice: KernelChoice = { score: options.score, activation: options.activation };
    // combine joins only once the fused kernel is known to split the keys (below).
    const stages: StageName[] = variantStages(variant).filter((stage) => stage !== 'combine');
    if (options.rope) stages.unshift('rope');
    if (inputs.wo) stages.push('project');
    if (run.lastStage && stages.includes(run.lastStage)) stages.splice(stages.indexOf(run.lastStage) + 1);
    const decision = this.choosePrecision(inputs, variant, options, run);
    const problem: KernelProblem = { n: shape.n, m: shape.m, dk: shape.dk, dv: shape.dv, heads: shape.heads, kvHeads: shape.kvHeads };
    const subgroups = await this.chooseSubgroups(variant, run, problem);
    const rows = this.choosePrefillRows(variant, run, problem.n <= DECODE_MAX_ROWS);
    const form: KernelForm = { ...formOf(subgroups, run, rows), precision: decision.precision };
    const kernels: Plan['kernels'] = {};
    const features = activeFeatures(options);
    let splits: KeySplits = { keySplits: 1, splitKeys: shape.m };
    for (const stage of stages) {
      const kernel = await this.kernel(stage, variant, run.kernels?.[stage], problem, form, choice);
      if (stage === 'qk' && kernel.scores !== options.score)
        throw new KernelInterfaceError(stage, [scoreMismatch(kernel.scores, options.score)]);
      const wrongActivation = stage === 'softmax' ? activationMismatch(kernel, options.activation) : null;
      if (wrongActivation) throw new KernelInterfaceError(stage, [wrongActivation]);
      const missing = unsupportedFeatures(stage, kernel, features);
      if (missing.length > 0)
        throw new KernelInterfaceError(
          stage,
          missing.map((f) => unsupportedMessage(stage, f, options)),
        );
      kernels[stage] = kernel;
      if (stage === 'fused' && kernel.supportsKeySplits) {
        splits = this.keySplits(kernel, shape, options, run.keySplits);
        if (splits.keySplits > 1) {
          // Split-KV: the combine merges the splits into out; it belongs to the fused stage, also
          // when the run stops there (lastStage: 'fused').
          stages.splice(stages.indexOf('fused') + 1, 0, 'combine');
          kernels.combine = await this.kernel('combine', variant, run.kernels?.combine, problem);
        }
      }
    }
    checkCancelled(run.signal);

    const [start, end] = resolveRows(run.rows, shape.n);
    const plan: Plan = {
      shape,
      start,
      end,
      stages,
      kernels,
      blockRows: 0,
      slopes: resolveAlibiSlopes(options),
      sinks: resolveSinks(options),
      precision: decision.precision,
      score: options.score,
      params: {
        m: shape.m,
        dq: shape.dq,
        scoreDim: shape.scoreDim,
        dk: shape.dk,
        dv: shape.dv,
        heads: shape.heads,
        kvHeads: shape.kvHeads,
        causal: options.causal,
        hasMask: !!inputs.mask,
        scale: resolveScale(options.scale, shape.dk),
        temperature: options.temperature,
        dModel: shape.dModel ?? 0,
        window: options.window ?? 0,
        softcap: options.softcap ?? 0,
        alibi: options.alibi !== null,
        sinks: options.sinks !== null,
        rope: options.rope && { ...options.rope, dims: ropeDims(options.rope, shape.dk) },
        activation: options.activation,
        ...splits,
      },
    };
    const rowWork = shape.heads * shape.m * (shape.dk + shape.dv);
    const workRows = run.maxBlockWork === undefined ? Infinity : Math.max(1, Math.floor(run.maxBlockWork / rowWork));
    plan.blockRows = this.blockRows(plan, Math.min(run.maxBlockRows ?? Infinity, workRows));
    const result = await this.execute(inputs, plan, run);
    return {
      ...result,
      shape,
      rows: [start, end],
      variant,
      stages,
      keySplits: splits.keySplits,
      splitKeys: splits.splitKeys,
      onlineSoftmax: !hasIntermediates(variant),
      precision: decision.precision,
      precisionReason: decision.reason,
      subgroups: subgroups.subgroups,
      subgroupLanes: sharedLanesOf(subgroups, plan.kernels.fused?.constants),
      headsPerWorkgroup: plan.kernels.fused?.constants?.QUAD_HEADS ?? 1,
      subgroupsReason: subgroups.reason,
      rowsPerWorkgroup: plan.kernels.fused ? fusedRowsPerWorkgroup(plan.kernels.fused) : null,
      rowsReason: rows.reason,
      wallMs: performance.now() - started,
    };
  }

  /** The storage precision of this run (src/core/precision.ts); throws PrecisionError when 'f16' is impossible. */
  private choosePrecision(inputs: AttentionInputs, variant: VariantName, options: AttentionOptions, run: RunOptions): PrecisionDecision {
    const custom = run.kernels?.fused;
    return resolvePrecision(run.precision ?? 'f32', {
      variant,
      rope: options.rope !== null,
      // Read only when f16 storage is in question (a float32 run never parses the kernel for it).
      customKernel:
        custom === undefined || variant !== 'fused'
          ? null
          : {
              get declaresF16Storage() {
                return declaresF16Storage(custom);
              },
            },
      inputs,
    });
  }

  /**
   * The form (precision aside) in which `run` builds this problem's kernels: the fused kernel's
   * subgroup form, shared lanes and grouped heads. Building them ahead of a run under a time limit
   * (the verifier's cases) takes this form, so that the run compiles nothing.
   */
  async runForm(variant: VariantName, problem: KernelProblem, run: RunOptions = {}): Promise<Omit<KernelForm, 'precision'>> {
    return formOf(
      await this.chooseSubgroups(variant, run, problem),
      run,
      this.choosePrefillRows(variant, run, problem.n <= DECODE_MAX_ROWS),
    );
  }

  /** The rows a workgroup the fused prefill takes on this device when not forced (src/core/prefill-rows.ts). */
  autoPrefillRows(): PrefillRows {
    return this.choosePrefillRows('fused', {}, false).rows;
  }

  /**
   * The fused prefill's rows a workgroup (src/core/prefill-rows.ts): 128 on a GPU, 64 on a CPU
   * emulator, unless forced; `decode` when the problem takes the decoding shape (n ≤ DECODE_MAX_ROWS).
   */
  private choosePrefillRows(variant: VariantName, run: RunOptions, decode: boolean): PrefillRowsDecision {
    return choosePrefillRows(run.prefillRows, {
      variant,
      customKernel: run.kernels?.fused !== undefined,
      cpuEmulator: isSoftwareAdapter(this.device.adapterInfo),
      decode,
    });
  }

  /**
   * Whether the fused kernel runs in its subgroup form (src/core/subgroups.ts): the device's layout
   * is probed once, and only when a fused run could use it. The problem says how many query heads
   * the decoding shape's quads would take together (which decides them on a CPU emulator).
   */
  private async chooseSubgroups(variant: VariantName, run: RunOptions, problem: KernelProblem): Promise<SubgroupDecision> {
    const choice = run.subgroups ?? 'auto';
    const customKernel = run.kernels?.fused !== undefined;
    const probe = variant === 'fused' && !customKernel && choice !== 'off';
    return resolveSubgroups(choice, {
      variant,
      deviceHasSubgroups: this.device.features.has('subgroups'),
      layout: probe ? await this.subgroupLayout() : null,
      customKernel,
      cpuEmulator: isSoftwareAdapter(this.device.adapterInfo),
      quadHeads: run.groupHeads === false ? 1 : quadHeads(problem),
    });
  }

  /** Where the device puts its subgroups (probed once per device); null without the feature. */
  subgroupLayout(): Promise<SubgroupLayout | null> {
    return probeSubgroupLayout(this.device, this.shaders);
  }

  /** The fused stage's key splits: forced by the caller, else chosen from the whole problem. */
  private keySplits(kernel: CompiledKernel, shape: AttentionShape, options: AttentionOptions, forced?: number): KeySplits {
    if (forced !== undefined) return forcedKeySplits(shape.m, forced);
    const chosen = chooseKeySplits({
      // The device decides how many workgroups fill it: hundreds on a GPU (by the shape), one (no split) on a CPU emulator.
      targetWorkgroups: isSoftwareAdapter(this.device.adapterInfo) ? SOFTWARE_TARGET_WORKGROUPS : undefined,
      n: shape.n,
      m: shape.m,
      // Workgroups along z: one per query head, or per group of heads the decoding shape takes together.
      heads: fusedHeadWorkgroups(kernel, shape.heads, shape.kvHeads),
      rowsPerWorkgroup: fusedRowsPerWorkgroup(kernel),
      causal: options.causal,
      window: options.window,
    });
    // The grid's y may not pass the device's limit.
    return chosen.keySplits <= this.limits.maxComputeWorkgroupsPerDimension ? chosen : forcedKeySplits(shape.m, 1);
  }

  /** Largest number of query rows per block that fits every binding and dispatch limit. */
  private blockRows(plan: Plan, requested = Infinity): number {
    const { limits } = this;
    const { m, dk, dv, heads, kvHeads, dModel } = plan.shape;
    const dq = plan.shape.dq ?? dk;
    const binding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    const fits = (what: string, bytes: number, hint = 'Use fewer keys, a smaller width, or a device with a larger limit.') => {
      if (bytes > binding) throw new LimitError('maxStorageBufferBindingSize', bytes, binding, what, hint);
    };
    fits(`K (${m}×${kvHeads * dk} float32)`, m * kvHeads * dk * F32);
    fits(`V (${m}×${kvHeads * dv} float32)`, m * kvHeads * dv * F32);
    if (dModel !== null) fits(`W_o (${heads * dv}×${dModel} float32)`, heads * dv * dModel * F32);
    // Bytes per query row of each buffer that holds one slice per row.
    const perRow: [string, number][] = [
      [`one row of Q (${heads * dq} float32)`, heads * dq * F32],
      [`one row of the output (${heads * dv} float32)`, heads * dv * F32],
    ];
    const splits = plan.params.keySplits;
    if (splits > 1)
      perRow.push([
        `one row of the split-KV partials (${splits} splits × ${heads} head(s) × ${dv + 2} float32)`,
        splits * heads * (dv + 2) * F32,
      ]);
    if (plan.params.hasMask) perRow.push([`one row of the mask (${m} keys, u32)`, m * F32]);
    if (dModel !== null) perRow.push([`one row of the projection (${dModel} float32)`, dModel * F32]);
    let rows = Math.min(requested, plan.end - plan.start);
    for (const [what, bytes] of perRow) {
      fits(what, bytes);
      rows = Math.min(rows, Math.floor(binding / bytes));
    }
    if (plan.stages.includes('qk')) {
      // The three-pass variants store h × rows × m scores (and as many probabilities) per block.
      const scoreRow = heads * m * F32;
      fits(`one row of scores (${heads} head(s) × ${m} keys, float32)`, scoreRow, FUSED_HINT);
      rows = Math.min(rows, Math.floor(binding / scoreRow));
    }
    return Math.max(1, this.rowsWithinDispatch(plan, rows));
  }

  /** The largest row count ≤ rows whose every stage's grid stays within maxComputeWorkgroupsPerDimension. */
  private rowsWithinDispatch(plan: Plan, rows: number): number {
    const maxGroups = this.limits.maxComputeWorkgroupsPerDimension;
    const { m, dk, dv, heads, kvHeads, dModel } = plan.shape;
    const size = (r: number): DispatchSize => ({
      rows: r,
      m,
      dk,
      dv,
      heads,
      kvHeads,
      dModel: dModel ?? 0,
      keySplits: plan.params.keySplits,
    });
    const fitsGrid = (r: number) =>
      plan.stages.every((stage) => STAGES[stage].grid(plan.kernels[stage]!, size(r)).every((g) => g <= maxGroups));
    for (const stage of plan.stages) {
      const grid = STAGES[stage].grid(plan.kernels[stage]!, size(1));
      const axis = grid.findIndex((g) => g > maxGroups);
      if (axis >= 0) {
        // The qk grid's x grows with m (a workgroup per wg.x keys); fused walks the keys in a loop.
        const hint = stage === 'qk' && axis === 0 ? FUSED_HINT : '';
        throw new LimitError('maxComputeWorkgroupsPerDimension', grid[axis], maxGroups, `the ${stage} dispatch (${'xyz'[axis]})`, hint);
      }
    }
    if (fitsGrid(rows)) return rows;
    // Grids grow with the row count: binary search the largest count that still fits.
    let lo = 1,
      hi = rows;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fitsGrid(mid)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private async execute(inputs: AttentionInputs, plan: Plan, run: RunOptions) {
    const { device } = this;
    const { shape, blockRows, start, end, stages } = plan;
    const { m, dk, dv, heads, kvHeads } = shape;
    const dq = shape.dq ?? dk;
    const dModel = shape.dModel ?? 0;
    const threePass = stages.includes('qk');
    const rope = stages.includes('rope');
    const total = end - start;
    const owned: GPUBuffer[] = [];
    const pool = run.buffers ?? null;
    const pooled: GPUBuffer[] = [];
    const buffer = (label: string, size: number, usage: number) => {
      const descriptor = { label: `Attention.${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage };
      const b = pool ? pool.take(descriptor) : device.createBuffer(descriptor);
      (pool ? pooled : owned).push(b);
      return b;
    };
    // An input's upload; a pool for the same inputs skips one its buffer holds already.
    const upload = (b: GPUBuffer, what: Upload, write: () => void) => (pool ? pool.upload(b, what, write) : write());
    let finished = false;
    const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const RESULT = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const READ = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
    const scoreBytes = heads * blockRows * m * F32;
    const outBytes = blockRows * heads * dv * F32;
    const projectedBytes = blockRows * dModel * F32;
    const wantIntermediates = threePass && !!run.intermediates;
    const wantRotated = rope && !!run.intermediates;
    const qRotBytes = blockRows * heads * dk * F32,
      kRotBytes = m * kvHeads * dk * F32;

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let scopesOpen = true;
    const closeScopes = () => {
      scopesOpen = false;
      return raiseScopeErrors(device);
    };
    const timer = this.hasTimestamps ? new StageTimer(device, buffer, stages) : null;
    try {
      // f16 storage holds two halves per 4-byte word: half the bytes of float32.
      const half = plan.precision === 'f16';
      const element = half ? F32 / 2 : F32;
      const params = buffer('params', PARAMS_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      const pad = half ? F32 : 0; // an odd count of halves ends in half a word
      // Q, K and V (and RoPE's output, which the stages after it read as q and k) in whole vec4s:
      // the built-in fused kernel reads them as array<vec4f>.
      const q = buffer('q', vec4Bytes(blockRows * heads * dq * element + pad), STORAGE);
      const k = buffer('k', vec4Bytes(m * kvHeads * dk * element + pad), STORAGE);
      const v = buffer('v', vec4Bytes(m * kvHeads * dv * element + pad), STORAGE);
      const qRot = rope ? buffer('q_rot', vec4Bytes(qRotBytes), RESULT) : null;
      const kRot = rope ? buffer('k_rot', vec4Bytes(kRotBytes), RESULT) : null;
      const qRotRead = wantRotated ? buffer('q_rot.readback', qRotBytes, READ) : null;
      const kRotRead = wantRotated ? buffer('k_rot.readback', kRotBytes, READ) : null;
      // Per-head slopes and sinks (zeros when off).
      const slopes = buffer('slopes', heads * F32, STORAGE);
      const sinks = buffer('sinks', heads * F32, STORAGE);
      if (plan.slopes) device.queue.writeBuffer(slopes, 0, plan.slopes);
      if (plan.sinks) device.queue.writeBuffer(sinks, 0, plan.sinks);
      const mask = buffer('mask', inputs.mask ? blockRows * m * F32 : 4, STORAGE);
      const out = buffer('out', outBytes, RESULT);
      // Split-KV: each split's unnormalised output, then its (max, denominator) (docs/kernel-interface.md).
      const keySplits = plan.params.keySplits;
      const partials = buffer('partials', keySplits > 1 ? keySplits * heads * blockRows * (dv + 2) * F32 : 16, GPUBufferUsage.STORAGE);
      const outRead = buffer('out.readback', outBytes, READ);
      // Scores and probabilities exist only for the three-pass variants: fused never stores them.
      const scores = threePass ? buffer('scores', scoreBytes, RESULT) : null;
      const probs = threePass ? buffer('probs', scoreBytes, RESULT) : null;
      const scoresRead = wantIntermediates ? buffer('scores.readback', scoreBytes, READ) : null;
      const probsRead = wantIntermediates ? buffer('probs.readback', scoreBytes, READ) : null;
      const wo = inputs.wo ? buffer('wo', inputs.wo.data.byteLength, STORAGE) : null;
      const projected = inputs.wo ? buffer('projected', projectedBytes, RESULT) : null;
      const projectedRead = inputs.wo ? buffer('projected.readback', projectedBytes, READ) : null;
      const form = half ? 'f16' : 'f32';
      const whole = (data: Float32Array): Upload => ({ source: data, offset: 0, count: data.length, form });
      upload(k, whole(inputs.k.data), () => device.queue.writeBuffer(k, 0, half ? packHalves(inputs.k.data) : inputs.k.data));
      upload(v, whole(inputs.v.data), () => device.queue.writeBuffer(v, 0, half ? packHalves(inputs.v.data) : inputs.v.data));
      if (wo && inputs.wo) {
        const data = inputs.wo.data;
        upload(wo, { ...whole(data), form: 'f32' }, () => device.queue.writeBuffer(wo, 0, data));
      }
      // The learned score's weights (src/core/scoring.ts); one unused word for dot.
      const scoringData = packScoring(inputs.scoring, plan.score);
      const scoring = buffer('scoring', scoringData.byteLength, STORAGE);
      device.queue.writeBuffer(scoring, 0, scoringData);

      // Each stage binds buffers by the names its bindings have in the interface (./interface.ts).
      const buffers: Record<BufferName, GPUBuffer | null> = {
        params,
        q,
        k,
        v,
        mask,
        qRot,
        kRot,
        slopes,
        sinks,
        scores,
        probs,
        out,
        partials,
        wo,
        projected,
        scoring,
      };
      // With RoPE, every stage after it reads the rotated Q and K in place of the inputs.
      const input = (name: BufferName, stage: StageName): BufferName =>
        rope && stage !== 'rope' ? (name === 'q' ? 'qRot' : name === 'k' ? 'kRot' : name) : name;
      const bindGroups = Object.fromEntries(
        stages.map((stage) => [
          stage,
          device.createBindGroup({
            label: `Attention.${stage}.bindGroup`,
            layout: plan.kernels[stage]!.layout,
            entries: STAGES[stage].bindings.map(({ binding, name }) => ({
              binding,
              resource: { buffer: bound(buffers, input(name, stage), stage) },
            })),
          }),
        ]),
      ) as Partial<Record<StageName, GPUBindGroup>>;

      const output = new Float32Array(total * heads * dv);
      const projectedAll = inputs.wo ? new Float32Array(total * dModel) : null;
      const scoresAll = wantIntermediates ? new Float32Array(heads * total * m) : null;
      const probsAll = wantIntermediates ? new Float32Array(heads * total * m) : null;
      const qRotAll = wantRotated ? new Float32Array(total * heads * dk) : null;
      let kRotAll: Float32Array | null = null;
      const maskSource = inputs.mask?.data ?? null;
      let maskData: Uint32Array | null = null; // made on the first upload a pool does not skip
      let blocks = 0;

      for (let r0 = start; r0 < end; r0 += blockRows) {
        checkCancelled(run.signal);
        this.throwIfLost();
        const rows = Math.min(blockRows, end - r0);
        blocks++;
        device.queue.writeBuffer(params, 0, packParams({ ...plan.params, n: rows, causalShift: causalShift(shape.n, m, r0) }));
        upload(q, { source: inputs.q.data, offset: r0 * heads * dq, count: rows * heads * dq, form }, () => {
          if (half) device.queue.writeBuffer(q, 0, packHalves(inputs.q.data.subarray(r0 * heads * dq, (r0 + rows) * heads * dq)));
          else device.queue.writeBuffer(q, 0, inputs.q.data, r0 * heads * dq, rows * heads * dq);
        });
        if (maskSource)
          upload(mask, { source: maskSource, offset: r0 * m, count: rows * m, form: 'mask' }, () => {
            maskData ??= Uint32Array.from(maskSource, (x) => (x !== 0 ? 1 : 0));
            device.queue.writeBuffer(mask, 0, maskData, r0 * m, rows * m);
          });
        if (run.poison) {
          const nan = (b: GPUBuffer | null, count: number) => b && device.queue.writeBuffer(b, 0, poisonArray(count));
          nan(scores, heads * rows * m);
          nan(probs, heads * rows * m);
          nan(out, rows * heads * dv);
          nan(projected, rows * dModel);
          nan(qRot, rows * heads * dk);
          if (r0 === start) nan(kRot, m * kvHeads * dk); // K is rotated in the first block only
        }
        const encoder = device.createCommandEncoder({ label: 'Attention.block' });
        for (const stage of stages) {
          const kernel = plan.kernels[stage]!;
          const pass = encoder.beginComputePass({ label: `Attention.${stage}`, timestampWrites: timer?.writes(stage) });
          pass.setPipeline(kernel.pipeline);
          pass.setBindGroup(0, bindGroups[stage]!);
          // K is the same in every block: the rope stage rotates it in the first, Q's rows after that.
          const keys = stage === 'rope' && r0 !== start ? 0 : m;
          pass.dispatchWorkgroups(...STAGES[stage].grid(kernel, { rows, m: keys, dk, dv, heads, kvHeads, dModel, keySplits }));
          pass.end();
        }
        const outSize = rows * heads * dv * F32,
          scoreSize = heads * rows * m * F32,
          projectedSize = rows * dModel * F32;
        encoder.copyBufferToBuffer(out, 0, outRead, 0, outSize);
        if (projected && projectedRead) encoder.copyBufferToBuffer(projected, 0, projectedRead, 0, projectedSize);
        if (scores && probs && scoresRead && probsRead) {
          encoder.copyBufferToBuffer(scores, 0, scoresRead, 0, scoreSize);
          encoder.copyBufferToBuffer(probs, 0, probsRead, 0, scoreSize);
        }
        const qRotSize = rows * heads * dk * F32;
        if (qRot && kRot && qRotRead && kRotRead) {
          encoder.copyBufferToBuffer(qRot, 0, qRotRead, 0, qRotSize);
          if (!kRotAll) encoder.copyBufferToBuffer(kRot, 0, kRotRead, 0, kRotBytes);
        }
        timer?.resolve(encoder);
        device.queue.submit([encoder.finish()]);

        output.set(await readFloats(outRead, outSize), (r0 - start) * heads * dv);
        if (projectedRead && projectedAll) projectedAll.set(await readFloats(projectedRead, projectedSize), (r0 - start) * dModel);
        if (scoresRead && probsRead && scoresAll && probsAll) {
          placeHeadRows(scoresAll, await readFloats(scoresRead, scoreSize), heads, rows, m, total, r0 - start);
          placeHeadRows(probsAll, await readFloats(probsRead, scoreSize), heads, rows, m, total, r0 - start);
        }
        if (qRotRead && kRotRead && qRotAll) {
          qRotAll.set(await readFloats(qRotRead, qRotSize), (r0 - start) * heads * dk);
          // K is rotated whole in every block, identically: read it once.
          kRotAll ??= await readFloats(kRotRead, kRotBytes);
        }
        await timer?.collect();
        run.onBlock?.(r0 + rows - start, total);
      }
      await closeScopes();
      finished = true;
      return {
        output: { rows: total, cols: heads * dv, data: output },
        projected: projectedAll ? { rows: total, cols: dModel, data: projectedAll } : null,
        rotated: qRotAll && kRotAll ? { q: qRotAll, k: kRotAll } : null,
        scores: scoresAll,
        probs: probsAll,
        gpuTimings: timer?.totals() ?? null,
        gpuSpanMs: timer?.spanMs() ?? null,
        blocks,
      };
    } catch (error) {
      // A WebGPU error caught by the scopes explains a failure better than what it caused downstream.
      if (scopesOpen) await closeScopes();
      if (this.lostReason) throw new DeviceLostError(`the GPU device was lost: ${this.lostReason}`);
      throw error;
    } finally {
      timer?.dispose();
      for (const b of owned) b.destroy();
      // A failed run's buffers may hold anything: the pool destroys them rather than keep them.
      if (finished) pool?.giveBack(pooled);
      else pool?.drop(pooled);
    }
  }

  private throwIfLost(): void {
    if (this.lostReason) throw new DeviceLostError(`the GPU device was lost (${this.lostReason}); acquire a new device`);
  }
}

/** The features on in this run that a stage must implement but its kernel does not declare. */
/** Why a qk kernel may not run: it computes another score function than the options ask for. */
function scoreMismatch(declared: ScoreFunction, wanted: ScoreFunction): string {
  const says = (x: ScoreFunction) =>
    x === 'dot'
      ? 'dot-product scores (it declares neither SCORES_GENERAL nor SCORES_ADDITIVE)'
      : `${x} scores (it declares ${SCORE_CONSTANTS[x]} = true)`;
  return `this qk kernel computes ${says(declared)}, but the run asks for the ${wanted} score function: choose score ${declared}, or a kernel that computes ${wanted} scores`;
}

function unsupportedFeatures(stage: StageName, kernel: CompiledKernel, on: readonly FeatureName[]): FeatureName[] {
  return STAGES[stage].features.filter((f) => on.includes(f) && !kernel.supports.includes(f));
}

/**
 * Why a softmax-stage kernel does not fit the run's activation, or null: an elementwise activation
 * needs a kernel declaring ELEMENTWISE_ACTIVATION (it would otherwise normalise every row), and the
 * softmax one that does not (it would otherwise skip the normalisation).
 */
function activationMismatch(kernel: CompiledKernel, activation: Activation): string | null {
  if (activation !== 'softmax' && !kernel.elementwiseActivation)
    return (
      `this run uses activation ${activation}, but this softmax kernel does not declare \`const ELEMENTWISE_ACTIVATION = true;\`: ` +
      `a softmax kernel normalises every row; use an elementwise kernel (shaders/activation_rows.wgsl) or set the activation to softmax`
    );
  if (activation === 'softmax' && kernel.elementwiseActivation)
    return (
      `this run uses the softmax, but this kernel declares \`const ELEMENTWISE_ACTIVATION = true;\` (φ elementwise, no normalisation): ` +
      `use a softmax kernel (shaders/softmax_rows.wgsl) or set the activation to relu or gelu`
    );
  return null;
}

function unsupportedMessage(stage: StageName, feature: FeatureName, options: AttentionOptions): string {
  const info = FEATURE_INFO[feature];
  const setting: Record<FeatureName, string> = {
    rope: 'RoPE',
    kvHeads: `${options.kvHeads} K/V head${options.kvHeads === 1 ? '' : 's'} for ${options.heads} query heads`,
    window: `a sliding window of ${options.window}`,
    alibi: options.alibi === 'standard' ? 'ALiBi with the standard slopes' : 'ALiBi with given slopes',
    softcap: `a logit softcap of ${options.softcap}`,
    sinks: 'attention sinks',
  };
  return (
    `this run uses ${setting[feature]}, but this ${stage} kernel does not declare \`const ${info.supportConstant} = true;\`: ` +
    `implement ${info.title} (docs/kernel-interface.md) and declare it, or turn ${info.title} off`
  );
}

/** The buffer a stage's binding names; every stage a run executes has all of its buffers. */
function bound(buffers: Record<BufferName, GPUBuffer | null>, name: BufferName, stage: StageName): GPUBuffer {
  const buffer = buffers[name];
  if (!buffer) throw new Error(`the ${stage} stage binds ${name}, which this run has no buffer for`);
  return buffer;
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new RunCancelledError('run cancelled');
}

/** Pops the validation and out-of-memory scopes pushed by execute(), throwing the first error. */
async function raiseScopeErrors(device: GPUDevice): Promise<void> {
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  const error = validation ?? memory;
  if (error) throw new GpuValidationError(error.message);
}

async function readFloats(buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
  await buffer.mapAsync(GPUMapMode.READ, 0, bytes);
  const copy = new Float32Array(buffer.getMappedRange(0, bytes).slice(0));
  buffer.unmap();
  return copy;
}

/** Copies a block's h×rows×m scores into the h×total×m tensor at row offset. */
function placeHeadRows(all: Float32Array, block: Float32Array, heads: number, rows: number, m: number, total: number, offset: number) {
  for (let t = 0; t < heads; t++) {
    all.set(block.subarray(t * rows * m, (t + 1) * rows * m), (t * total + offset) * m);
  }
}
