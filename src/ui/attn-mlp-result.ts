/**
 * <attn-mlp-result>: MLP mode's answer above the output tabs — the MLP form y = W₂·φ(W₁x) in float64
 * beside the attention form's output computed by the GPU kernels, and whether they are equal
 * within the derived tolerance (src/core/mlp-check.ts), with the verdict badge used elsewhere. With
 * the softmax put back, the same table shows how the output changes and says what normalising does.
 * The weights map (φ of the scores) is the Attention tab below.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { describeActivation } from '../core/activation';
import { verdictBadge } from '../core/metrics';
import type { MlpWeights } from '../core/mlp';
import { checkMlpForms } from '../core/mlp-check';
import { matrix } from '../core/tensor';
import { tableValue } from './heatmap-scale';
import type { RunOutcome } from './run-types';
import { verdictBadgeStyles } from './attn-verdict';

@customElement('attn-mlp-result')
export class AttnMlpResult extends LitElement {
  static override styles = [
    verdictBadgeStyles,
    css`
      :host {
        display: block;
        margin-bottom: var(--attn-space-4);
      }
      table {
        border-collapse: collapse;
        font-variant-numeric: tabular-nums;
        font-size: 0.85rem;
      }
      th,
      td {
        padding: 0.15rem 0.5rem;
        text-align: right;
      }
      th {
        font-weight: 600;
      }
      .form {
        text-align: left;
      }
      p {
        font-size: 0.85rem;
        margin: 0.4rem 0;
      }
      .verdict {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
        align-items: center;
        font-size: 0.8rem;
        margin-bottom: 0.4rem;
      }
      .muted {
        color: var(--attn-color-text-muted);
      }
    `,
  ];

  /** The last run (MLP mode's problem, when it is one). */
  @property({ attribute: false }) outcome: RunOutcome | null = null;

  override render() {
    const o = this.outcome;
    const mlp = o?.full.mlp;
    if (!o || !mlp) return nothing;
    if (!o.gpu) return html`<p id="mlp-no-gpu">The attention form needs the GPU kernels: ${o.gpuError ?? 'no GPU result'}.</p>`;
    // The weights back from the attention form's inputs: x = Q, W₁ = K, W₂ = Vᵀ.
    const { q, k, v } = o.full.inputs;
    const w2 = matrix(v.cols, v.rows);
    for (let i = 0; i < v.rows; i++) for (let c = 0; c < v.cols; c++) w2.data[c * v.rows + i] = v.data[i * v.cols + c];
    const weights: MlpWeights = { x: q, w1: k, w2 };
    const check = checkMlpForms(weights, mlp.activation, { ...o.gpu, projected: null }, mlp.softmax);
    const badge = verdictBadge(check.forms);
    const phi = describeActivation(mlp.activation);
    const { rows, cols } = check.mlp;
    const row = (data: ArrayLike<number>, r: number) =>
      Array.from({ length: cols }, (_, c) => html`<td>${tableValue(data[r * cols + c])}</td>`);
    return html`
      <div class="verdict" data-forms=${check.forms.pass ? 'agree' : 'differ'}>
        <span>MLP form vs attention form (${o.variant}, ${mlp.softmax ? 'softmax put back' : phi}):</span>
        <span class="badge ${check.forms.pass ? 'pass' : 'fail'}" id="mlp-forms" title=${badge.detail}
          >${check.forms.pass ? 'equal within tolerance' : 'not equal'} ${badge.text}</span
        >
      </div>
      <table id="mlp-table">
        <thead>
          <tr>
            <th class="form">row</th>
            <th class="form">form</th>
            ${Array.from({ length: cols }, (_, c) => html`<th>y${c}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${Array.from(
            { length: rows },
            (_, r) => html`
              <tr data-row=${r} data-form="mlp">
                <th class="form" rowspan="2">x${r}</th>
                <td class="form">MLP, W₂·${phi === 'ReLU' ? 'ReLU' : 'GELU'}(W₁x), float64 CPU</td>
                ${row(check.mlp.data, r)}
              </tr>
              <tr data-row=${r} data-form="attention">
                <td class="form">attention, ${mlp.softmax ? 'softmax' : `${phi} for the softmax`}, GPU</td>
                ${row(o.gpu!.output, r)}
              </tr>
            `,
          )}
        </tbody>
      </table>
      ${
        mlp.softmax
          ? html`<p id="mlp-softmax-note">
              With the softmax back, each row of weights is exponentiated and divided by its sum: the weights are positive and sum to 1, so
              every output row is a weighted average of W₂'s columns (here up to ${tableValue(check.float64Gap)} away from the MLP's y). The
              MLP has no such normalisation: its weights φ(W₁x) are unbounded, can be zero (ReLU) or negative (GELU).
            </p>`
          : html`<p class="muted">
              The float64 attention form and the MLP form differ by ${tableValue(check.float64Gap)} (rounding: the same sum in another
              order); the GPU is held to the float32 bound of the attention form's output. The Attention tab shows the weights φ(x·W₁[i]).
            </p>`
      }
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-mlp-result': AttnMlpResult;
  }
}
