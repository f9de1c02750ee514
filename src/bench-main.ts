/**
 * bench.html: the profiler on its own page, for `npm run bench` and the end-to-end test. It mounts
 * <attn-profiler> with an engine on the page's device and exposes window.attnBench for a driver.
 */
import './ui/tokens.css';
import './ui/attn-profiler';
import type { ProfileRunOptions } from './ui/attn-profiler';
import type { BenchCard } from './core/bench-card';
import type { ProfileConfig, ProfileResult } from './core/profile-report';
import type { AdapterSummary } from './gpu/device';
import { requestAttentionDevice } from './gpu/device';
import { AttentionEngine } from './gpu/engine';
import type { ProfileProgress } from './gpu/profile';
import type { PlotKind } from './plot/scaling-plots';
import { SHADERS } from './ui/shader-library';

export interface AttnBench {
  /** Resolves once the device is ready (rejects with the reason when there is no WebGPU). */
  ready: Promise<AdapterSummary>;
  /** Runs a sweep; `demandChecked` when the driver has checked its memory and time against limits of its own. */
  run(config: Partial<ProfileConfig>, options?: ProfileRunOptions): Promise<ProfileResult>;
  /** Plots results computed elsewhere (Node's WebGPU), so they can be exported as PNG. */
  show(result: ProfileResult): Promise<void>;
  /** PNG data URL of a plot of the last results. */
  plotPng(kind?: PlotKind): string | null;
  progress(): ProfileProgress | null;
  /** The benchmark card of the last run (null before one), as plain JSON. */
  card(source?: string): Promise<BenchCard | null>;
}

declare global {
  interface Window {
    attnBench: AttnBench;
  }
}

const profiler = document.querySelector('attn-profiler')!;
const adapterLine = document.querySelector('#adapter')!;

const ready = (async () => {
  const { device, summary } = await requestAttentionDevice(navigator.gpu);
  device.addEventListener('uncapturederror', (event) => console.error(`WebGPU: ${(event as GPUUncapturedErrorEvent).error.message}`));
  profiler.adapter = summary;
  profiler.engine = new AttentionEngine(device, SHADERS);
  adapterLine.textContent = `Adapter: ${summary.description || summary.vendor} ${summary.architecture}${summary.isSoftware ? ' (CPU emulation)' : ''}`;
  return summary;
})();
ready.catch((error: Error) => (adapterLine.textContent = error.message));

window.attnBench = {
  ready,
  run: async (config, options) => {
    await ready;
    // Structured-clone friendly: the driver receives it through puppeteer as JSON.
    return JSON.parse(JSON.stringify(await profiler.run(config, options))) as ProfileResult;
  },
  show: async (result) => {
    profiler.show(result);
    await profiler.updateComplete;
  },
  plotPng: (kind) => profiler.plotPng(kind),
  progress: () => profiler.currentProgress,
  card: async (source) => {
    const card = await profiler.card(source);
    return card && (JSON.parse(JSON.stringify(card)) as BenchCard);
  },
};
