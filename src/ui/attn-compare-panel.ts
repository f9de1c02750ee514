/**
 * <attn-compare-panel>: GPU (float32) against the float64 reference, stage by stage: max abs,
 * max rel and max ULP error, the worst element with both values, pass/fail under the derived
 * tolerance, and a log-scale error heatmap per stage; clicking a cell shows both values.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { TensorName } from '../core/stages';
import { TENSOR_TITLES } from '../core/stages';
import type { Comparison } from '../core/metrics';
import { ulpDistance, verdictBadge } from '../core/metrics';
import { exact, short } from '../core/provenance';
import type { CellClickEvent } from './events';
import type { RunOutcome } from './run-types';
import './attn-heatmap';

/** RoPE's rotated Q and K: compared in two table rows, without an error map. */
type RotatedName = 'rotatedQ' | 'rotatedK';

@customElement('attn-compare-panel')
export class AttnComparePanel extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .table {
      overflow-x: auto;
      max-width: 100%;
      margin: 0.3rem 0 0.8rem;
    }
    table {
      border-collapse: collapse;
      font-size: 0.8rem;
      background: var(--attn-color-surface);
    }
    /* Numbers never break; headings, stage names and verdicts wrap, so the table fits the results column at 1280 px. */
    th,
    td {
      border: 1px solid var(--attn-color-border);
      padding: 0.3rem 0.5rem;
      text-align: right;
    }
    td.mono {
      white-space: nowrap;
    }
    td.worst {
      white-space: normal;
      text-align: left;
      min-width: 14rem;
      line-height: 1.35;
    }
    th {
      background: var(--attn-color-surface-sunken);
      font-weight: 600;
    }
    td:first-child,
    th:first-child {
      text-align: left;
    }
    .mono {
      font-family: var(--attn-font-mono);
    }
    .pass {
      color: var(--attn-color-success-strong);
      font-weight: 700;
    }
    .fail {
      color: var(--attn-color-danger);
      font-weight: 700;
    }
    .muted {
      color: var(--attn-color-text-muted);
      font-size: 0.8rem;
    }
    .maps {
      display: flex;
      flex-wrap: wrap;
      gap: 1rem 1.4rem;
      align-items: flex-start;
    }
    .card {
      background: var(--attn-color-surface);
      border: 1px solid var(--attn-color-border);
      border-radius: var(--attn-radius-card);
      padding: 0.6rem 0.7rem;
      max-width: 100%;
      box-sizing: border-box;
    }
    .inspector {
      font-family: var(--attn-font-mono);
      font-size: 0.78rem;
      background: var(--attn-color-surface-code);
      border: 1px solid var(--attn-color-border-code);
      border-radius: var(--attn-radius-card);
      padding: 0.5rem 0.7rem;
      white-space: pre-wrap;
      margin: 0.6rem 0;
    }
    p {
      margin: 0.3rem 0;
    }
  `;

  @property({ attribute: false }) outcome: RunOutcome | null = null;
  @property({ type: Number }) head = 0;

  @state() private picked: { stage: TensorName; row: number; col: number } | null = null;

  override render() {
    const o = this.outcome;
    if (!o) return html`<p class="muted">No run yet.</p>`;
    if (!o.gpu || !o.check || !o.errors) {
      return html`<p><strong>CPU reference only.</strong> ${o.gpuError ?? 'There is no GPU run to compare.'}</p>`;
    }
    const c = o.check;
    const stages = (['scores', 'probs', 'output', 'projected'] as const).filter((s) => c[s] !== null);
    const rope = (['rotatedQ', 'rotatedK'] as const).filter((s) => c[s] !== null);
    return html`
      <p>
        Kernel <strong>${o.variant}</strong> on the GPU (float32) against the float64 reference. Each element has its own tolerance, derived
        from float32 error bounds (src/core/tolerance.ts). Verdict:
        <span class=${c.pass ? 'pass' : 'fail'} data-verdict=${c.pass ? 'pass' : 'fail'}>${c.pass ? 'pass' : 'FAIL'}</span>
      </p>
      <div class="table" tabindex="0" role="region" aria-label="GPU vs CPU by stage">
        <table>
          <thead>
            <tr>
              <th>stage</th>
              <th>elements</th>
              <th>max |Δ|</th>
              <th>max rel</th>
              <th>max ULP</th>
              <th>worst element (nearest its tolerance)</th>
              <th>verdict (worst error ÷ its tolerance)</th>
            </tr>
          </thead>
          <tbody>
            ${rope.map((s) => this.renderRow(s, c[s]!))} ${stages.map((s) => this.renderRow(s, c[s]!))}
          </tbody>
        </table>
      </div>
      <p class="muted">
        ULP distances are to the float64 value rounded to float32, so 0 ULP means the GPU returned the correctly rounded result; |Δ| is
        measured against the float64 value itself.
      </p>
      ${o.variant && !o.gpu.scores ? html`<p class="muted">This kernel never writes scores or weights to memory, so only the output is compared.</p>` : nothing}
      <p class="muted">${timingLine(o)}</p>
      ${this.picked ? this.renderInspector(this.picked) : nothing}
      <div class="maps">${stages.map((s) => this.renderErrorMap(s))}</div>
    `;
  }

  private renderRow(stage: TensorName | RotatedName, c: Comparison) {
    const w = c.worst;
    const perHead = stage === 'scores' || stage === 'probs';
    const at = (pos: [number, number, number]) =>
      perHead ? `${this.outcome!.problem.shape.heads > 1 ? `h${pos[0]}` : ''}[${pos[1]}][${pos[2]}]` : `[${pos[1]}][${pos[2]}]`;
    return html`<tr data-stage=${stage} data-pass=${String(c.pass)}>
      <td>${stage === 'rotatedQ' ? 'Q after RoPE' : stage === 'rotatedK' ? 'K after RoPE' : TENSOR_TITLES[stage]}</td>
      <td>${c.count}</td>
      <td class="mono">${short(c.maxAbs)}</td>
      <td class="mono">${short(c.maxRel)}</td>
      <td class="mono">${c.maxUlp === Infinity ? '∞' : c.maxUlp}</td>
      <td class="mono worst">
        ${w ? html`${at(w.position)} GPU ${exact(w.actual)}<br />CPU ${exact(w.expected)} (tolerance ±${short(w.tolerance)})` : '—'}
      </td>
      <td class=${c.pass ? 'pass' : 'fail'} title=${verdictBadge(c).detail}>${verdictBadge(c).text}</td>
    </tr>`;
  }

  /** Columns and their labels of a stage's map: keys for scores and weights, output dimensions otherwise. */
  private columns(stage: TensorName): { cols: number; labels: readonly string[]; axis: string } {
    const o = this.outcome!;
    if (stage === 'output') return { cols: o.reference.output.cols, labels: o.problem.valueLabels, axis: 'value dim' };
    if (stage === 'projected') return { cols: o.reference.projected?.cols ?? 0, labels: o.problem.projectedLabels, axis: 'model dim' };
    return { cols: o.problem.shape.m, labels: o.problem.keyLabels, axis: 'key' };
  }

  private renderErrorMap(stage: TensorName) {
    const o = this.outcome!;
    const { n, m, heads } = o.problem.shape;
    const head = Math.min(this.head, heads - 1);
    const errors = stage === 'rotated' ? null : o.errors![stage];
    if (!errors) return nothing;
    const perHead = stage === 'scores' || stage === 'probs';
    const values = perHead ? errors.subarray(head * n * m, (head + 1) * n * m) : errors;
    const { cols, labels, axis } = this.columns(stage);
    return html`<div class="card">
      <attn-heatmap
        data-error-stage=${stage}
        heading=${`|GPU − CPU|: ${TENSOR_TITLES[stage].toLowerCase()}`}
        caption="log scale; white = identical to float64"
        .values=${values}
        rows=${n}
        cols=${cols}
        .rowLabels=${o.problem.queryLabels}
        .colLabels=${labels}
        colour="log"
        max-width="380"
        col-axis=${axis}
        file-name=${`error-${stage}`}
        .selected=${this.picked?.stage === stage ? [this.picked.row, this.picked.col] : null}
        .describe=${(i: number, j: number) => this.describe(stage, i, j)}
        @attn-cell-click=${(e: CellClickEvent) => (this.picked = { stage, row: e.row, col: e.col })}
      ></attn-heatmap>
    </div>`;
  }

  private values(stage: TensorName, i: number, j: number): { gpu: number; cpu: number; index: number } {
    const o = this.outcome!;
    const { n, m, heads } = o.problem.shape;
    const head = Math.min(this.head, heads - 1);
    if (stage === 'output') {
      const index = i * o.reference.output.cols + j;
      return { gpu: o.gpu!.output[index], cpu: o.reference.output.data[index], index };
    }
    if (stage === 'projected') {
      const index = i * (o.reference.projected?.cols ?? 0) + j;
      return { gpu: o.gpu!.projected?.[index] ?? NaN, cpu: o.reference.projected?.data[index] ?? NaN, index };
    }
    const index = (head * n + i) * m + j;
    const gpu = stage === 'scores' ? o.gpu!.scores! : o.gpu!.probs!;
    const cpu = stage === 'scores' ? o.reference.masked.data : o.reference.probs.data;
    return { gpu: gpu[index], cpu: cpu[index], index };
  }

  private describe(stage: TensorName, i: number, j: number) {
    const { gpu, cpu } = this.values(stage, i, j);
    const p = this.outcome!.problem;
    const col = this.columns(stage).labels[j];
    return {
      title: `${TENSOR_TITLES[stage]} ${p.queryLabels[i]} → ${col}`,
      lines: [
        `GPU = ${exact(gpu)}`,
        `CPU = ${exact(cpu)}`,
        `|Δ| = ${gpu === cpu ? '0' : short(Math.abs(gpu - cpu))}   ${ulpDistance(gpu, cpu)} ULP`,
      ],
    };
  }

  private renderInspector({ stage, row, col }: { stage: TensorName; row: number; col: number }) {
    const info = this.describe(stage, row, col);
    return html`<div class="inspector" role="status" data-inspector=${stage}><strong>${info.title}</strong> ${info.lines.join('\n')}</div>`;
  }
}

function timingLine(o: RunOutcome): string {
  const parts: string[] = [];
  if (o.gpuMs !== null) parts.push(`GPU run ${o.gpuMs.toFixed(1)} ms wall`);
  if (o.gpuTimings) {
    const stages = Object.entries(o.gpuTimings)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `${k} ${(v as number).toFixed(3)} ms`);
    if (stages.length) parts.push(`GPU time per stage: ${stages.join(', ')}`);
  }
  if (o.gpuForm) parts.push(o.gpuForm);
  parts.push(`CPU reference + comparison ${o.cpuMs.toFixed(1)} ms (in a worker)`);
  return parts.join(' · ');
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-compare-panel': AttnComparePanel;
  }
}
