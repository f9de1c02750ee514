/**
 * Model mode's controller (src/ui/model-controller.ts) with a fake engine whose attention the test
 * holds and releases, so that an interleaving the page reaches only by timing happens every time:
 * a model loaded while Generate is in flight stops the generation, and the tokens the old model
 * generated never reach the state that names the new one.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ReactiveControllerHost } from 'lit';
import type { LoadedModel } from '../src/core/model/loaded';
import type { ModelTokenizer } from '../src/core/model/tokenizer';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import { attentionReference } from '../src/core/reference';
import type { AttentionInputs } from '../src/core/shapes';
import type { AttentionOptions } from '../src/core/options';
import type { PlaygroundState } from '../src/core/state';
import { defaultState } from '../src/core/state';
import { DEFAULT_TIME_LIMITS } from '../src/core/kernel-safety';
import type { AttentionEngine, RunResult } from '../src/gpu/engine';

/** A tokenizer of words "w0", "w1", … (id = the number), BOS 0 first. */
function wordTokenizer(vocabSize: number): ModelTokenizer {
  return {
    encode: (text) => [
      0,
      ...text
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => Number(w.slice(1)) % vocabSize),
    ],
    decode: (ids) => ids.map((id) => `w${id}`).join(' '),
    tokenText: (id) => `w${id}`,
    vocabSize,
    bos: 0,
    eos: null,
  };
}

function loaded(architecture: 'llama' | 'gpt2', seed: number, file: string): LoadedModel {
  const weights = randomModelWeights(smallConfig(architecture), seed);
  return {
    weights,
    tokenizer: wordTokenizer(weights.config.vocabSize),
    roles: null,
    source: { format: 'safetensors', files: [file], tensorTypes: { F32: 1 }, bytes: 1 },
  };
}

// The built-in model is model A; any files chosen are model B.
vi.mock('../src/ui/model-source', () => ({
  loadBuiltinModel: async () => loaded('llama', 1, 'builtin'),
  loadModelFromFiles: async (files: File[]) => loaded('gpt2', 2, files[0].name),
  loadModelFromUrl: async () => {
    throw new Error('no URLs in this test');
  },
}));
// The float64 checks are the worker's; these tests are about the runs, so the checks never answer.
vi.mock('../src/ui/model-check-client', () => ({
  ModelCheckClient: class {
    check = () => new Promise(() => {});
    dispose = () => {};
  },
}));

const { ModelController } = await import('../src/ui/model-controller');

/** Attention as the float64 reference, each call held until the test releases it when `hold` is on. */
class HeldEngine {
  readonly device = { limits: { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 } };
  hold = false;
  readonly held: (() => void)[] = [];

  run = async (inputs: AttentionInputs, options: AttentionOptions): Promise<RunResult> => {
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    const ref = attentionReference(inputs, options);
    return {
      output: { rows: ref.output.rows, cols: ref.output.cols, data: Float32Array.from(ref.output.data) },
      rotated: null,
      scores: null,
      probs: null,
      onlineSoftmax: false,
      precision: 'f32',
      precisionReason: 'float32 asked for',
    } as unknown as RunResult;
  };

  release(): void {
    this.hold = false;
    this.held.splice(0).forEach((resolve) => resolve());
  }
}

/** A controller on a fake host whose state follows `generated` and the loads as the page's does (attn-app.ts). */
function setUp() {
  const timeouts: unknown[] = [];
  let updates = 0;
  const engine = new HeldEngine();
  let state: PlaygroundState = { ...defaultState(), mode: 'model', model: { ...defaultState().model, text: 'w3 w9 w4', generateCount: 4 } };
  const added: number[][] = [];
  const host = { addController() {}, removeController() {}, requestUpdate: () => void updates++, dataset: {} as DOMStringMap };
  const controller = new ModelController(host as unknown as ReactiveControllerHost & HTMLElement, {
    state: () => state,
    engine: () => engine as unknown as AttentionEngine,
    noGpuReason: () => 'no GPU',
    notify: () => {},
    generated: (ids) => {
      added.push(ids);
      state = { ...state, model: { ...state.model, generated: [...state.model.generated, ...ids] } };
    },
    kernels: () => null,
    limits: () => DEFAULT_TIME_LIMITS,
    timedOut: (t) => timeouts.push(t),
    recorded: (_kernels, _limitMs, run) => run(),
  });
  /** What attn-app's loadModel does: load, then the state names the new model without the old one's tokens. */
  const chooseFiles = async (name: string) => {
    expect(await controller.load({ kind: 'files', files: [new File([new Uint8Array(4)], name)] })).toBe(true);
    state = { ...state, model: { ...state.model, source: controller.loadedSource, generated: [] } };
  };
  const setState = (next: PlaygroundState) => (state = next);
  return { engine, controller, chooseFiles, added, state: () => state, setState, timeouts, updates: () => updates };
}

describe('Generate and loading another model', () => {
  it('a generation left alone adds its tokens to the model that generated them', async () => {
    const { controller, added, state } = setUp();
    await controller.run();
    await controller.generate();
    expect(added.map((ids) => ids.length)).toEqual([4]);
    expect(state().model.generated).toEqual(added[0]);
    expect(controller.generating).toBe(false);
  });

  it('choosing another model while a generation’s step is on the GPU stops it: no old tokens reach the new model’s state', async () => {
    const { engine, controller, chooseFiles, added, state } = setUp();
    await controller.run();
    engine.hold = true;
    const generation = controller.generate();
    await vi.waitFor(() => expect(engine.held.length).toBeGreaterThan(0));
    await chooseFiles('b.safetensors');
    expect(controller.generating).toBe(false);
    engine.release();
    await generation;
    expect(added).toEqual([]);
    expect(state().model.source).toEqual({ kind: 'files', names: ['b.safetensors'], sizes: [4] });
    expect(state().model.generated).toEqual([]);
    expect(controller.model?.weights.config.architecture).toBe('gpt2');
    expect(controller.generating).toBe(false);
  });

  it('the new model can generate at once, and only its own tokens are added', async () => {
    const { engine, controller, chooseFiles, added, state } = setUp();
    await controller.run();
    engine.hold = true;
    const stale = controller.generate();
    await vi.waitFor(() => expect(engine.held.length).toBeGreaterThan(0));
    await chooseFiles('b.safetensors');
    engine.release();
    await controller.run();
    const fresh = controller.generate();
    await Promise.all([stale, fresh]);
    expect(added.map((ids) => ids.length)).toEqual([4]);
    expect(state().model.generated).toEqual(added[0]);
    expect(controller.outcome?.tokens.map((t) => t.id)).toEqual([0, 3, 9, 4, ...added[0]]);
  });

  it('an Undo back to the model shown before stops the generation of the one shown now: its tokens are not added to the state naming the other', async () => {
    const { engine, controller, chooseFiles, added, state, setState } = setUp();
    await controller.run();
    await chooseFiles('b.safetensors');
    await controller.run();
    engine.hold = true;
    const generation = controller.generate();
    await vi.waitFor(() => expect(engine.held.length).toBeGreaterThan(0));
    // Undo: the state names the built-in model again (attn-app then asks the controller to show it).
    setState({ ...state(), model: { ...state().model, source: { kind: 'builtin' }, generated: [] } });
    expect(await controller.show({ kind: 'builtin' })).toBe(true);
    expect(controller.generating).toBe(false);
    engine.release();
    await generation;
    controller.hostDisconnected();
    expect(added).toEqual([]);
    expect(state().model.generated).toEqual([]);
    expect(controller.model?.weights.config.architecture).toBe('llama');
  });
});

describe('a step that does not finish within its time limit', () => {
  afterEach(() => void vi.useRealTimers());

  it('says the device is being replaced, and once the new one is ready that it has been', async () => {
    const { engine, controller, timeouts, updates } = setUp();
    vi.useFakeTimers();
    engine.hold = true;
    const running = controller.run();
    await vi.waitFor(() => expect(engine.held.length).toBeGreaterThan(0));
    // Past any step's limit: the engine never answers.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    await running;
    expect(timeouts).toHaveLength(1);
    const said = /^The model step did not finish within its time limit: the GPU did not finish within \d+ s\. /;
    expect(controller.error).toMatch(new RegExp(`${said.source}The GPU device is being replaced\\.$`));
    const shown = updates();
    controller.deviceReplaced();
    expect(controller.error).toMatch(new RegExp(`${said.source}The GPU device has been replaced\\.$`));
    expect(updates()).toBe(shown + 1);
    engine.release();
    controller.hostDisconnected();
  });
});
