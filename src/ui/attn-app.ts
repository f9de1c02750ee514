/**
 * The page's root element. For now: adapter information and the seeds' 3-D example plus a seeded
 * random case, each run on WebGPU and on the float64 reference, side by side.
 */
import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { attentionReference } from '../core/reference';
import { checkAgainstReference } from '../core/check';
import type { StageComparisons } from '../core/check';
import type { MatrixPreset } from '../core/presets';
import { presetMatrices } from '../core/presets';
import { randomMatrix } from '../core/rng';
import type { AttentionInputs } from '../core/shapes';
import type { AttentionOptions } from '../core/options';
import { toRows } from '../core/tensor';
import type { AdapterSummary } from '../gpu/device';
import { requestAttentionDevice } from '../gpu/device';
import { AttentionEngine } from '../gpu/engine';
import { SHADERS } from './shader-library';
import { PRESETS } from './presets';

interface CaseResult {
  id: string;
  title: string;
  gpu: number[][] | null;
  cpu: number[][];
  check: StageComparisons | null;
  error: string | null;
}

const fmt = (x: number) => x.toFixed(4);

@customElement('attn-app')
export class AttnApp extends LitElement {
  static override styles = css`
    :host { display: block; max-width: 960px; margin: 0 auto; padding: 1.5rem; }
    h1 { font-size: 1.4rem; margin: 0 0 1rem; }
    .banner { padding: 0.6rem 0.8rem; border-radius: 6px; background: #fff4e5; border: 1px solid #f0c36d; margin-bottom: 1rem; }
    .error { background: #fdecea; border-color: #f5a9a3; }
    table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
    td, th { border: 1px solid #ddd; padding: 0.25rem 0.5rem; font-family: ui-monospace, monospace; font-size: 0.85rem; }
    .pass { color: #137333; font-weight: 600; }
    .fail { color: #b3261e; font-weight: 600; }
  `;

  @state() private adapter: AdapterSummary | null = null;
  @state() private gpuError: string | null = null;
  @state() private results: CaseResult[] = [];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.start();
  }

  private async start(): Promise<void> {
    let engine: AttentionEngine | null = null;
    try {
      const { device, summary } = await requestAttentionDevice(navigator.gpu);
      this.adapter = summary;
      engine = new AttentionEngine(device, SHADERS);
    } catch (error) {
      this.gpuError = (error as Error).message;
    }
    const worked = PRESETS.find((p): p is MatrixPreset => p.id === 'worked-3d' && p.mode === 'matrix')!;
    const cases: { id: string; title: string; inputs: AttentionInputs; options: Partial<AttentionOptions> }[] = [
      { id: 'worked-3d', title: worked.name, inputs: presetMatrices(worked), options: worked.options },
      {
        id: 'random',
        title: 'Seeded random case: n=20, m=37, dk=8, dv=5, causal (seed 42)',
        inputs: { q: randomMatrix(20, 8, 42), k: randomMatrix(37, 8, 43), v: randomMatrix(37, 5, 44) },
        options: { causal: true },
      },
    ];
    const results: CaseResult[] = [];
    for (const c of cases) results.push(await this.runCase(engine, c.id, c.title, c.inputs, c.options));
    this.results = results;
    this.dataset.state = 'done';
  }

  private async runCase(engine: AttentionEngine | null, id: string, title: string, inputs: AttentionInputs, options: Partial<AttentionOptions>): Promise<CaseResult> {
    const reference = attentionReference(inputs, options);
    const cpu = toRows(reference.output);
    if (!engine) return { id, title, gpu: null, cpu, check: null, error: null };
    try {
      const result = await engine.run(inputs, options, { intermediates: true });
      const check = checkAgainstReference(inputs, options, { ...result, output: result.output.data }, reference);
      return { id, title, gpu: toRows(result.output), cpu, check, error: null };
    } catch (error) {
      return { id, title, gpu: null, cpu, check: null, error: (error as Error).message };
    }
  }

  override render() {
    return html`
      <h1>Attention Playground</h1>
      ${this.gpuError
        ? html`<div class="banner error" id="no-webgpu">${this.gpuError} The results below come from the CPU reference only.</div>`
        : this.adapter
          ? html`<div class="banner" id="adapter">Adapter: ${this.adapter.vendor} ${this.adapter.architecture}
              ${this.adapter.isSoftware ? html`— <strong>CPU emulation</strong>: results are real, timings say nothing about a GPU.` : ''}</div>`
          : html`<div class="banner">Looking for a WebGPU adapter…</div>`}
      ${this.results.map((r) => this.renderCase(r))}
    `;
  }

  private renderCase(r: CaseResult) {
    const rows = r.cpu.length;
    const verdict = r.check ? (r.check.pass ? html`<span class="pass">GPU and CPU agree</span>` : html`<span class="fail">GPU and CPU disagree</span>`) : r.error ? html`<span class="fail">${r.error}</span>` : 'CPU only';
    return html`
      <section data-case=${r.id} data-pass=${r.check ? String(r.check.pass) : 'none'} data-gpu=${JSON.stringify(r.gpu)}>
        <h2>${r.title}</h2>
        <p>${verdict}${r.check ? html` — output max abs error ${r.check.output.maxAbs.toExponential(2)}, max ULP ${r.check.output.maxUlp}` : ''}</p>
        <table>
          <tr><th>row</th><th>GPU (float32)</th><th>CPU (float64)</th></tr>
          ${Array.from({ length: Math.min(rows, 8) }, (_, i) => html`<tr><td>${i}</td><td>${r.gpu ? r.gpu[i].map(fmt).join(', ') : '—'}</td><td>${r.cpu[i].map(fmt).join(', ')}</td></tr>`)}
        </table>
      </section>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-app': AttnApp;
  }
}
