/**
 * <attn-verdict>: the line above the output tabs that says whether the GPU agrees with the float64
 * reference, one badge per stage (Q and K after RoPE, masked scores, weights, output, output · W_o) with its worst
 * error as a share of its tolerance (verdictBadge; the absolute numbers in its title). A badge opens the GPU-vs-CPU tab
 * (a view-only StateEditEvent).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { verdictBadge } from '../core/metrics';
import { describeScale } from '../core/options';
import { RAW_SCORE_CAPTIONS } from '../core/scoring-state';
import { StateEditEvent } from './events';
import type { RunOutcome } from './run-types';
import { buttonStyles } from './styles';

const VERDICT_STAGES = [
  ['rotatedQ', 'Q after RoPE'],
  ['rotatedK', 'K after RoPE'],
  ['scores', 'masked scores'],
  ['probs', 'weights'],
  ['output', 'output'],
  ['projected', 'output · W_o'],
] as const;

/** The pass/fail badge of a check (here, and on the model view's heads and logits). */
export const verdictBadgeStyles = css`
  .badge {
    padding: 0.12rem var(--attn-space-3);
    border-radius: var(--attn-radius-pill);
    border: 1px solid var(--attn-color-border-control);
    background: var(--attn-color-surface);
    cursor: pointer;
    font: inherit;
  }
  .badge.pass {
    border-color: var(--attn-color-success-border);
    background: var(--attn-color-success-bg);
    color: var(--attn-color-success-text);
  }
  .badge.fail {
    border-color: var(--attn-color-danger-border);
    background: var(--attn-color-danger-bg);
    color: var(--attn-color-danger-text);
  }
`;

@customElement('attn-verdict')
export class AttnVerdict extends LitElement {
  static override styles = [
    buttonStyles,
    verdictBadgeStyles,
    css`
      :host {
        display: block;
      }
      .verdict {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
        align-items: center;
        font-size: 0.8rem;
        margin-bottom: 0.6rem;
      }
      .muted {
        color: var(--attn-color-text-muted);
        font-size: 0.8rem;
      }
    `,
  ];

  /** The last finished run (null before the first). */
  @property({ attribute: false }) outcome: RunOutcome | null = null;
  /** The user's kernels by stage, named in the verdict (null: the built-in kernels). */
  @property({ attribute: false }) kernels: Readonly<Record<string, string>> | null = null;
  @property({ type: Boolean }) running = false;

  private showCompare = () => {
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, view: { ...s.view, tab: 'compare' } }), null, false));
  };

  override render() {
    const o = this.outcome;
    if (!o) return html`<div class="verdict muted">${this.running ? 'Computing the first run…' : ''}</div>`;
    const check = o.check;
    // Which scale produced these numbers: a mode switch or an example may have changed it.
    const { score = 'dot', activation = 'softmax' } = o.problem.options;
    // Dot scores and the softmax are the default; a learned score or an activation is named, with its formula.
    const form = [
      score === 'dot' ? '' : `${score} score ${RAW_SCORE_CAPTIONS[score]}`,
      activation === 'softmax' ? '' : `${activation} in place of the softmax, no normalisation`,
    ].filter(Boolean);
    const scale = html`<span class="muted" id="scale-in-force">${describeScale(o.problem.options.scale, o.problem.shape.dk)}</span>${
        form.length ? html`<span class="muted" id="score-in-force">${form.join('; ')}</span>` : nothing
      }`;
    if (!check)
      return html`<div class="verdict">
        <span class="badge" data-verdict="cpu-only">CPU reference only</span><span class="muted">${o.gpuError ?? ''}</span>${scale}
      </div>`;
    const kernels = this.kernels;
    return html`<div class="verdict" data-verdict=${check.pass ? 'pass' : 'fail'}>
      <span>GPU vs CPU (${o.variant}${kernels ? ` + your ${Object.keys(kernels).join(', ')} kernel` : ''}):</span>
      ${VERDICT_STAGES.map(([k, name]) => {
        const c = check[k];
        if (!c) return nothing;
        const badge = verdictBadge(c);
        return html`<button
          class="badge ${c.pass ? 'pass' : 'fail'}"
          data-stage=${k}
          @click=${this.showCompare}
          title=${`${name}: ${badge.detail}`}
        >
          ${name} ${badge.text}
        </button>`;
      })}
      ${scale}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-verdict': AttnVerdict;
  }
}
