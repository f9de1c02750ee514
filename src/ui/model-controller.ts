/**
 * Model mode's runs: the loaded model (built-in, or the user's files or URL), and for the text typed
 * one step of the model with every layer's attention on the playground's kernels (the page's
 * variant, precision and Shader-lab kernels), then the float64 checks in a worker. A newer edit
 * aborts the step in flight (runModelStep's signal) and the stale checks (the worker is
 * terminated). Generate adds tokens one decode step at a time over the KV cache.
 *
 * The host's data-model-state (loading, running, checking, done, error) and data-model-run (the
 * finished run's id) say where it stands, for tests and the console.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { InputError, RunCancelledError } from '../core/errors';
import { checkModelFitsDevice, layerStages, runModelStep } from '../gpu/model-run';
import type { ModelLayerRun, ModelStepRun } from '../gpu/model-run';
import type { AttentionEngine } from '../gpu/engine';
import { modelRunPrecision, storageNote } from '../core/model/storage';
import { DeviceLostError } from '../gpu/errors';
import { isVariant } from '../gpu/variants';
import type { LoadedModel } from '../core/model/loaded';
import type { KvCache } from '../core/model/forward';
import { checkTokens, emptyCache } from '../core/model/forward';
import { pickNextToken } from '../core/model/generate';
import type { GeneratedTokens } from '../core/model/generated-tokens';
import { generatedTokens, sameModelSource } from '../core/model/generated-tokens';
import type { ModelWeights } from '../core/model/config';
import type { TimeLimitSettings } from '../core/kernel-safety';
import { afterDeviceReplaced, DEVICE_BEING_REPLACED, gpuTimeLimitMs, transformerWork } from '../core/kernel-safety';
import type { ModelSourceState, PlaygroundState } from '../core/state';
import { GpuTimeoutError, withTimeLimit } from '../gpu/watchdog';
import type { RunTimeout } from './run-controller';
import type { NoticeLevel } from './events';
import type { ModelChecks } from './model-check-client';
import { ModelCheckClient } from './model-check-client';
import type { ModelRequest } from './model-source';
import { loadBuiltinModel, loadModelFromFiles, loadModelFromUrl } from './model-source';

const RUN_DEBOUNCE_MS = 120;

export interface ModelToken {
  id: number;
  text: string;
  /** Added by Generate (after the typed text). */
  generated: boolean;
}

/** A finished forward step and the edited kernels it ran (null: the built-in ones). */
type ModelStep = ModelStepRun & { kernels: Record<string, string> | null };

/** One finished model step, as the views draw it. */
export interface ModelOutcome {
  id: number;
  /** The run key of the state it answers (runKey). */
  key: string;
  /** Every token of the sequence. */
  tokens: ModelToken[];
  /** The step's layer runs: a prefill's queries are every token, a decode step's the last one. */
  layers: ModelLayerRun[];
  /** Index in `tokens` of the step's first query. */
  queryStart: number;
  /** Logits of the next token (float32 values). */
  logits: Float64Array;
  cache: KvCache;
  variant: string;
  /** Whether kernels edited in the Shader lab ran. */
  yourKernels: string[];
  /** Why layers ran with float32 storage although f16 storage was chosen (storageNote); null when none did. */
  storageNote: string | null;
  layerMs: number[];
  /** From the edit (or Generate) to the grid's data, ms. */
  gridMs: number;
  /** The float64 checks, once the worker has answered. */
  checks: ModelChecks | null;
  checkError: string | null;
}

/** What the views get of model mode. */
export interface ModelView {
  model: LoadedModel | null;
  outcome: ModelOutcome | null;
  error: string | null;
  loading: boolean;
  running: boolean;
  generating: boolean;
  loadedSource: ModelSourceState;
  /** The state's generated tokens as the loaded model takes them (set aside when another model made them); null before a model is loaded. */
  generation: GeneratedTokens | null;
}

export interface ModelControllerOptions {
  state(): PlaygroundState;
  engine(): AttentionEngine | null;
  noGpuReason(): string;
  notify(level: NoticeLevel, text: string, source?: string): void;
  /** Generate finished: record the tokens it added in the state (one undo step). */
  generated(ids: number[]): void;
  /** The edited kernels runs may use (those that passed their trial); null: the built-in ones. */
  kernels(state: PlaygroundState): Record<string, string> | null;
  /** The watchdog's settings (src/core/kernel-safety.ts). */
  limits(): TimeLimitSettings;
  /** A model step did not finish in time: the owner replaces the device and says which kernels ran. */
  timedOut(timeout: RunTimeout): void;
  /** Runs a GPU step with its edited kernels on the write-ahead record (kernel-run-record.ts). */
  recorded<T>(kernels: Record<string, string> | null, limitMs: number, run: () => Promise<T>): Promise<T>;
}

export class ModelController implements ReactiveController {
  model: LoadedModel | null = null;
  /** Changes with every model loaded (runs of another model are stale). */
  modelKey = '';
  /** What the loaded model is (the built-in one, or the user's). */
  loadedSource: ModelSourceState = { kind: 'builtin' };
  loading = false;
  running = false;
  generating = false;
  outcome: ModelOutcome | null = null;
  /** Why the current text cannot run (too many tokens, no GPU, a failed GPU run); the last outcome stays. */
  error: string | null = null;

  /**
   * The model shown before the last one loaded, kept so that an Undo or Redo across that switch can
   * show it again (a file cannot be reopened without the user); only the one, as a model may be large.
   */
  private replaced: Pick<ModelController, 'model' | 'modelKey' | 'loadedSource'> | null = null;
  private readonly checker = new ModelCheckClient();
  private abort: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private counter = 0;
  private models = 0;
  private builtin: Promise<void> | null = null;
  private editedAt = 0;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly options: ModelControllerOptions,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
    this.abort?.abort();
    this.checker.dispose();
  }

  /**
   * What a run depends on: a state with the same key needs no new run. `kernels`: the edited kernels
   * a run used (by default those in use now; a kernel may pass its trial while a step runs).
   */
  runKey(state: PlaygroundState, kernels: Record<string, string> | null = this.options.kernels(state)): string {
    const generated = this.generation(state)?.run ?? [];
    return JSON.stringify([this.modelKey, state.model.text, generated, state.variant, state.precision, kernels]);
  }

  /** The state's generated tokens as the loaded model takes them: run when it made them, set aside otherwise. */
  generation(state: PlaygroundState): GeneratedTokens | null {
    return this.model && generatedTokens(state.model, this.loadedSource, this.model.weights.config.vocabSize);
  }

  /** After a state change in model mode: rerun when what the run depends on changed. */
  stateChanged(state: PlaygroundState): void {
    if (this.outcome?.key === this.runKey(state) && !this.error) return;
    this.schedule();
  }

  schedule(): void {
    clearTimeout(this.timer);
    this.editedAt = performance.now();
    this.host.dataset.modelState = 'pending';
    this.timer = setTimeout(() => void this.run(), RUN_DEBOUNCE_MS);
  }

  /** The built-in model, loaded once (shown until the user loads another). */
  ensureModel(): Promise<void> {
    if (this.model) return Promise.resolve();
    this.builtin ??= this.load({ kind: 'builtin' }).then(() => undefined);
    return this.builtin;
  }

  /** Loads a model; on failure says why (the loader's message names the file and problem) and keeps the previous one. */
  async load(request: ModelRequest): Promise<boolean> {
    this.set({ loading: true }, 'loading');
    try {
      const model =
        request.kind === 'builtin'
          ? await loadBuiltinModel()
          : request.kind === 'files'
            ? await loadModelFromFiles(request.files)
            : await loadModelFromUrl(request.url);
      // Refused before it replaces the shown model: its keys at full context must fit one binding.
      const engine = this.options.engine();
      if (engine) checkModelFitsDevice(model.weights.config, engine.device.limits);
      // A generation in flight is the shown model's: it stops here, and its tokens are not added to the new model's state.
      if (this.generating) this.stopGeneration();
      if (this.model) this.replaced = { model: this.model, modelKey: this.modelKey, loadedSource: this.loadedSource };
      this.model = model;
      this.modelKey = `${request.kind}:${++this.models}`;
      this.loadedSource =
        request.kind === 'builtin'
          ? request
          : request.kind === 'url'
            ? request
            : { kind: 'files', names: request.files.map((f) => f.name), sizes: request.files.map((f) => f.size) };
      this.set({ loading: false }, 'loaded');
      return true;
    } catch (error) {
      const what =
        request.kind === 'builtin' ? 'The built-in model' : request.kind === 'url' ? `The model at ${request.url}` : 'The model files';
      const message = error instanceof InputError ? error.message : `${(error as Error).message}`;
      this.options.notify('error', `${what} could not be loaded: ${message}. The previous model and your text are kept.`, 'model');
      this.set({ loading: false }, this.outcome ? 'done' : 'error');
      return false;
    }
  }

  /**
   * Shows the model the state names after an Undo or Redo took it across a model switch: the model
   * shown before the last switch when it is that one, else the built-in model (loaded again). False
   * when it is neither (a file not open now, a URL not loaded): the picker's note says what to do.
   */
  async show(named: ModelSourceState): Promise<boolean> {
    if (!this.model || sameModelSource(named, this.loadedSource)) return true;
    const replaced = this.replaced;
    if (replaced && sameModelSource(named, replaced.loadedSource)) {
      if (this.generating) this.stopGeneration();
      this.replaced = { model: this.model, modelKey: this.modelKey, loadedSource: this.loadedSource };
      Object.assign(this, replaced);
      this.schedule();
      return true;
    }
    if (named.kind !== 'builtin' || !(await this.load({ kind: 'builtin' }))) return false;
    this.schedule();
    // Another Undo or Redo while the built-in model loaded: follow that one too.
    const now = this.options.state().model.source;
    return sameModelSource(now, this.loadedSource) || this.show(now);
  }

  async run(): Promise<void> {
    clearTimeout(this.timer);
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const signal = abort.signal;
    const editedAt = this.editedAt || performance.now();
    this.editedAt = 0;
    this.set({ running: true }, 'running');
    await this.ensureModel();
    if (signal.aborted) return;
    const model = this.model;
    if (!model) return this.fail('No model is loaded.');
    const state = this.options.state();
    const engine = this.options.engine();
    if (!engine) return this.fail(`The model view runs every head on the GPU. ${this.options.noGpuReason()}`);
    let ids: number[];
    let typedCount: number;
    try {
      // A word the tokenizer has no id for is an InputError (src/model/tokenizer.ts).
      const textIds = model.tokenizer.encode(state.model.text);
      typedCount = textIds.length;
      // Another model's generated ids are set aside, not run (core/model/generated-tokens.ts).
      ids = [...textIds, ...generatedTokens(state.model, this.loadedSource, model.weights.config.vocabSize).run];
      checkTokens(model.weights.config, ids);
    } catch (error) {
      if (error instanceof InputError) return this.fail(capitalise(error.message) + '.');
      throw error;
    }
    let step;
    try {
      step = await this.step(engine, model.weights, emptyCache(model.weights.config), ids, state, signal);
    } catch (error) {
      if (error instanceof RunCancelledError || signal.aborted) return;
      return this.fail(gpuMessage(error, this.options.kernels(state)));
    }
    if (signal.aborted) return;
    const tokens = ids.map((id, i) => ({ id, text: model.tokenizer.tokenText(id), generated: i >= typedCount }));
    this.finishStep(state, step, tokens, 0, performance.now() - editedAt, signal);
  }

  /** Adds generateCount tokens, each a decode step over the KV cache of the one before. */
  async generate(): Promise<void> {
    const state = this.options.state();
    const model = this.model;
    const engine = this.options.engine();
    let current = this.outcome;
    if (!model || !engine || !current || current.key !== this.runKey(state) || this.running || this.generating) return;
    // The state's generated ids are another model's (or do not fit this one): adding this one's would mix them.
    if (!this.generation(state)?.canGenerate) return;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const signal = abort.signal;
    // The model generating: another one loaded meanwhile (load, show) ends this generation, adding nothing.
    const key = this.modelKey;
    const stale = () => signal.aborted || this.modelKey !== key;
    this.set({ generating: true, running: true }, 'running');
    const s = state.model;
    const sampling = s.sampling === 'greedy' ? ({ kind: 'greedy' } as const) : ({ kind: 'top-k', k: s.samplingK, seed: s.seed } as const);
    const added: number[] = [];
    for (let i = 0; i < s.generateCount; i++) {
      const started = performance.now();
      const next = pickNextToken(current.logits, sampling, s.generated.length + added.length);
      try {
        checkTokens(model.weights.config, [next], current.cache.length);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        this.options.notify('error', `Generation stopped: ${error.message}.`);
        break;
      }
      let step;
      try {
        step = await this.step(engine, model.weights, current.cache, [next], state, signal);
      } catch (error) {
        if (error instanceof RunCancelledError || stale()) return this.endStaleGeneration(key);
        this.set({ generating: false }, undefined);
        return this.fail(gpuMessage(error, this.options.kernels(state)));
      }
      if (stale()) return this.endStaleGeneration(key);
      added.push(next);
      const tokens = [...current.tokens, { id: next, text: model.tokenizer.tokenText(next), generated: true }];
      const generatedState = { ...state, model: { ...s, generated: [...s.generated, ...added] } };
      current = this.stepOutcome(generatedState, step, tokens, tokens.length - 1, performance.now() - started);
      this.outcome = current;
      this.host.requestUpdate();
    }
    this.generating = false;
    if (added.length === 0) return this.set({ running: false }, 'done');
    // The state learns the tokens after the outcome carries its key, so the edit starts no new run.
    this.options.generated(added);
    this.finishStep(this.options.state(), null, current.tokens, current.queryStart, current.gridMs, signal, current);
  }

  /** A generation that another model or a cancel overtook: its own flags only, while it is still this model's. */
  private endStaleGeneration(key: string): void {
    if (this.modelKey === key) this.set({ generating: false }, undefined);
  }

  /** Stops the generation in flight before another model is shown (its step is aborted; it adds no tokens). */
  private stopGeneration(): void {
    this.abort?.abort();
    this.abort = null;
    this.generating = false;
    this.running = false;
  }

  /** The replacement device is ready: a timed-out step's message no longer says it is being replaced. */
  deviceReplaced(): void {
    if (!this.error) return;
    const error = afterDeviceReplaced(this.error);
    if (error === this.error) return;
    this.error = error;
    this.host.requestUpdate();
  }

  /** Stops waiting for the step or generation in flight; the last finished step stays. */
  cancel(): void {
    if (!this.running && !this.generating) return;
    clearTimeout(this.timer);
    this.abort?.abort();
    this.abort = null;
    this.set({ running: false, generating: false }, this.outcome ? 'done' : 'cancelled');
    this.options.notify('info', 'Model run cancelled. The step shown is the last one that finished.');
  }

  /**
   * One forward step under the watchdog, with the kernels that passed their trial, and which those
   * were: one may pass its trial while the step runs, and the step's outcome must name the kernels it
   * ran, not those in use once it is back.
   */
  private async step(
    engine: AttentionEngine,
    weights: ModelWeights,
    cache: KvCache,
    ids: number[],
    state: PlaygroundState,
    signal: AbortSignal,
  ): Promise<ModelStep> {
    const kernels = this.options.kernels(state);
    const variant = isVariant(state.variant) ? state.variant : 'tiled';
    const { config } = weights;
    const limitMs = gpuTimeLimitMs(transformerWork(config, ids.length, cache.length + ids.length), this.options.limits());
    // f16 storage where the model's run allows it (the fused variant without RoPE), else float32 saying
    // why (storageNote): a RoPE model would otherwise never run once f16 storage is chosen.
    const precision = modelRunPrecision(state.precision);
    try {
      const run = await this.options.recorded(kernels, limitMs, () =>
        withTimeLimit(
          () => runModelStep(engine, weights, cache, ids, { variant, kernels: kernels ?? undefined, precision, signal }),
          limitMs,
          signal,
        ),
      );
      return { ...run, kernels };
    } catch (error) {
      if (error instanceof GpuTimeoutError) {
        const shape = {
          n: ids.length,
          m: cache.length + ids.length,
          dk: config.headDim,
          dv: config.headDim,
          heads: config.heads,
          kvHeads: config.kvHeads,
          dModel: null,
        };
        this.options.timedOut({ kernels, variant, shape, limitMs });
      }
      throw error;
    }
  }

  private stepOutcome(state: PlaygroundState, step: ModelStep, tokens: ModelToken[], queryStart: number, gridMs: number): ModelOutcome {
    return {
      id: ++this.counter,
      key: this.runKey(state, step.kernels),
      tokens,
      layers: step.layers,
      queryStart,
      logits: step.step.logits,
      cache: step.step.cache,
      variant: isVariant(state.variant) ? state.variant : 'tiled',
      yourKernels: Object.keys(step.kernels ?? {}),
      storageNote: storageNote(state.precision, step.layers),
      layerMs: step.layerMs,
      gridMs,
      checks: null,
      checkError: null,
    };
  }

  /** Shows a finished step, then checks it in the worker. */
  private finishStep(
    state: PlaygroundState,
    step: ModelStep | null,
    tokens: ModelToken[],
    queryStart: number,
    gridMs: number,
    signal: AbortSignal,
    ready?: ModelOutcome,
  ): void {
    const outcome = ready ?? this.stepOutcome(state, step!, tokens, queryStart, gridMs);
    this.outcome = outcome;
    this.error = null;
    this.host.dataset.modelRun = String(outcome.id);
    this.set({ running: false }, 'checking');
    void this.check(outcome, signal);
  }

  private async check(outcome: ModelOutcome, signal: AbortSignal): Promise<void> {
    const model = this.model!;
    try {
      const checks = await this.checker.check(
        this.modelKey,
        model.weights,
        {
          ids: outcome.tokens.map((t) => t.id),
          layers: outcome.layers.map(({ call, result }) => ({ call, gpu: layerStages(result) })),
          logits: outcome.logits,
          onlineSoftmax: outcome.layers[0]?.result.onlineSoftmax ?? false,
        },
        signal,
      );
      if (signal.aborted || this.outcome !== outcome) return;
      this.outcome = { ...outcome, checks };
    } catch (error) {
      if (error instanceof RunCancelledError || signal.aborted || this.outcome !== outcome) return;
      this.outcome = { ...outcome, checkError: `The float64 checks failed: ${(error as Error).message}` };
    }
    this.set({}, 'done');
  }

  private fail(message: string): void {
    this.error = message;
    this.set({ running: false }, 'error');
  }

  private set(fields: Partial<Pick<ModelController, 'loading' | 'running' | 'generating'>>, dataState: string | undefined): void {
    Object.assign(this, fields);
    if (dataState) this.host.dataset.modelState = dataState;
    this.host.requestUpdate();
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function gpuMessage(error: unknown, kernels: Record<string, string> | null): string {
  if (error instanceof DeviceLostError) return error.message;
  if (error instanceof GpuTimeoutError)
    return `The model step did not finish within its time limit: ${error.message}. ${DEVICE_BEING_REPLACED}`;
  const yours = kernels ? ' (your kernels from the shader lab are in use)' : '';
  return `The GPU run failed${yours}: ${(error as Error).message}`;
}
