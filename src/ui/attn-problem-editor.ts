/**
 * <attn-problem-editor>: the inputs column — the input mode (matrices or a sentence), the grid
 * editors for Q, K, V and W_o with the random-problem panel, or the sentence panel; the options;
 * the mask. It renders the state it is given and sends every change up as a typed event.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { stateHeadWidth } from '../core/feature-options';
import { kvHeadCount } from '../core/features';
import { identity } from '../core/grid';
import type { Problem } from '../core/problem';
import { withMode } from '../core/mode';
import type { Mode, PlaygroundState } from '../core/state';
import { defaultState } from '../core/state';
import type { ScoringGridName } from '../core/scoring-state';
import { describeGrid, gridsOf, headWidths, SCORING_GRID_TITLES } from '../core/scoring-state';
import { hasIntermediates, isVariant, VARIANT_NAMES } from '../gpu/variants';
import type { EmbeddingsStatus } from './attn-sentence-panel';
import { StateEditEvent } from './events';
import type { ModelView } from './model-controller';
import { buttonStyles, tabStyles } from './styles';
import { onTablistKeydown, tabIndexFor } from './tab-keys';
import './attn-feature-options';
import './attn-mask-editor';
import './attn-matrix-editor';
import './attn-model-panel';
import './attn-memory-panel';
import './attn-mlp-panel';
import './attn-options-panel';
import './attn-random-problem';
import './attn-sentence-panel';

const MODE_TABS: [Mode, string][] = [
  ['matrix', 'Matrices'],
  ['sentence', 'Sentence'],
  ['model', 'Model'],
  ['mlp', 'MLP as attention'],
  ['memory', 'Memory'],
];

@customElement('attn-problem-editor')
export class AttnProblemEditor extends LitElement {
  static override styles = [
    buttonStyles,
    tabStyles,
    css`
      :host {
        display: block;
      }
      .matrices {
        background: var(--attn-color-surface);
        border: 1px solid var(--attn-color-border);
        border-radius: var(--attn-radius-card);
        padding: var(--attn-space-4) var(--attn-space-5);
        margin-bottom: var(--attn-space-5);
      }
      .toggle {
        display: block;
        font-size: 0.82rem;
        margin: 0 0 var(--attn-space-4);
      }
      .muted {
        color: var(--attn-color-text-muted);
        font-size: 0.8rem;
      }
    `,
  ];

  @property({ attribute: false }) state: PlaygroundState = defaultState();
  /** The last run's whole problem (labels, mask, derived Q/K/V of a sentence); null before the first run. */
  @property({ attribute: false }) problem: Problem | null = null;
  /** Whether the word vectors for sentence mode are loaded. */
  @property() embeddings: EmbeddingsStatus = 'idle';
  @property({ type: Boolean, attribute: 'gpu-available' }) gpuAvailable = false;
  /** Model mode's model and last step. */
  @property({ attribute: false }) modelView: ModelView | null = null;

  private setMode(mode: Mode): void {
    this.dispatchEvent(new StateEditEvent((s) => withMode(s, mode)));
  }

  /** W_o on (starting as the identity, so the output is unchanged until it is edited) or off. */
  private toggleOutputProjection = (event: Event) => {
    const on = (event.target as HTMLInputElement).checked;
    this.dispatchEvent(
      new StateEditEvent((s) => {
        // One row per output column: h·dv, which is V's width unless K/V heads are shared.
        const vCols = s.matrix.v[0]?.length ?? 1;
        const kv = kvHeadCount(s.options);
        const width = vCols % kv === 0 ? (vCols / kv) * s.options.heads : vCols;
        return { ...s, matrix: { ...s.matrix, wo: on ? identity(width, width) : null } };
      }),
    );
  };

  override render() {
    const s = this.state;
    const p = this.problem;
    const dkPerHead = p ? p.shape.dk : Math.max(1, Math.floor((s.matrix.q[0]?.length ?? 1) / s.options.heads));
    return html`
      <div class="tabs" role="tablist" aria-label="input mode" @keydown=${onTablistKeydown}>
        ${MODE_TABS.map(
          ([mode, title]) =>
            html`<button
              role="tab"
              id="mode-${mode}"
              aria-selected=${s.mode === mode ? 'true' : 'false'}
              tabindex=${tabIndexFor(s.mode === mode)}
              aria-controls="mode-panel"
              @click=${() => this.setMode(mode)}
            >
              ${title}
            </button>`,
        )}
      </div>
      <div role="tabpanel" id="mode-panel" aria-labelledby="mode-${s.mode}">
        ${
          s.mode === 'model'
            ? html`<attn-model-panel .state=${s} .view=${this.modelView} ?gpu-available=${this.gpuAvailable}></attn-model-panel>`
            : s.mode === 'memory'
              ? html`<attn-memory-panel .state=${s}></attn-memory-panel>`
              : s.mode === 'mlp'
                ? html`<attn-mlp-panel .mlp=${s.mlp} variant=${s.variant} ?gpu-available=${this.gpuAvailable}></attn-mlp-panel>`
                : this.renderProblemInputs(p, dkPerHead)
        }
      </div>
    `;
  }

  private renderProblemInputs(p: Problem | null, dkPerHead: number) {
    const s = this.state;
    return html`
      ${
        s.mode === 'matrix'
          ? this.renderMatrices()
          : html`<attn-sentence-panel
              .sentence=${s.sentence}
              .problem=${p?.mode === 'sentence' ? p : null}
              embeddings=${this.embeddings}
              heads=${s.options.heads}
              kv-heads=${kvHeadCount(s.options)}
              .options=${s.options}
            ></attn-sentence-panel>`
      }
      <attn-options-panel
        .options=${s.options}
        dk=${dkPerHead}
        variant=${isVariant(s.variant) ? s.variant : 'tiled'}
        precision=${s.precision}
        .variants=${VARIANT_NAMES}
        .outputOnly=${VARIANT_NAMES.filter((v) => !hasIntermediates(v))}
        .gpuAvailable=${this.gpuAvailable}
      ></attn-options-panel>
      <attn-feature-options .options=${s.options} .dk=${stateHeadWidth(s)}></attn-feature-options>
      ${p ? html`<attn-mask-editor .mask=${p.explicitMask} .padding=${p.padding} .rowLabels=${p.queryLabels} .colLabels=${p.keyLabels} ?causal=${s.options.causal} .window=${s.options.window}></attn-mask-editor>` : nothing}
    `;
  }

  private renderScoringEditors() {
    return scoringEditors(this.state);
  }

  private renderMatrices() {
    const m = this.state.matrix;
    const label = (given: string[] | null, count: number, prefix: string) =>
      Array.from({ length: count }, (_, i) => given?.[i]?.trim() || `${prefix}${i}`);
    const n = m.q.length,
      keys = m.k.length,
      dk = m.q[0]?.length ?? 0,
      dv = m.v[0]?.length ?? 0;
    return html`<div class="matrices">
      <attn-matrix-editor
        name="q"
        heading="Q — queries"
        hint="one row per query"
        structural
        .values=${m.q}
        .rowLabels=${label(m.queryLabels, n, 'q')}
        .colLabels=${label(m.featureLabels, dk, 'd')}
      ></attn-matrix-editor>
      <attn-matrix-editor
        name="k"
        heading="K — keys"
        hint=${kvHeadCount(this.state.options) === this.state.options.heads ? "one row per key; width = Q's" : `one row per key; ${kvHeadCount(this.state.options)} K/V heads × d_k wide`}
        structural
        .values=${m.k}
        .rowLabels=${label(m.keyLabels, keys, 'k')}
        .colLabels=${label(m.featureLabels, m.k[0]?.length ?? 0, 'd')}
      ></attn-matrix-editor>
      <attn-matrix-editor
        name="v"
        heading="V — values"
        hint="one row per key"
        structural
        .values=${m.v}
        .rowLabels=${label(m.keyLabels, m.v.length, 'k')}
        .colLabels=${label(m.valueLabels, dv, 'v')}
      ></attn-matrix-editor>
      ${this.renderScoringEditors()}
      <label class="toggle"
        ><input type="checkbox" id="use-wo" .checked=${!!m.wo} @change=${this.toggleOutputProjection} /> Output projection W<sub>o</sub>
        <span class="muted">(the heads' outputs, concatenated, × W_o)</span></label
      >
      ${
        m.wo
          ? html`<attn-matrix-editor
              name="wo"
              heading="W_o — output projection"
              hint="one row per output column (h·d_v), one column per model dimension"
              .values=${m.wo}
              .rowLabels=${label(m.valueLabels, m.wo.length, 'v')}
              .colLabels=${label(null, m.wo[0]?.length ?? 0, 'y')}
            ></attn-matrix-editor>`
          : nothing
      }
      <attn-random-problem heads=${this.state.options.heads} kv-heads=${kvHeadCount(this.state.options)}></attn-random-problem>
    </div>`;
  }
}

/** The additive score's editors add and remove hidden units (W_q's and W_k's rows, v's columns) together. */
const HIDDEN_UNIT = { row: 'hidden unit', col: 'hidden unit' };

/**
 * The general score's W or the additive score's W_q, W_k and v, beside Q, K and V, each headed with
 * its shape in words. Their shapes follow Q's and K's widths (the page's gate refits them); a paste
 * or import of the wrong shape is refused with the shape it must have.
 */
function scoringEditors(state: PlaygroundState) {
  const { options, matrix: m } = state;
  const names = gridsOf(options.score);
  const widths = headWidths(m.q[0]?.length ?? 0, m.k[0]?.length ?? 0, options);
  if (!names.length || !widths) return nothing;
  const a = m.scoring.wq?.length ?? 0;
  const numbered = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const rowsOf: Record<ScoringGridName, (count: number) => string[]> = {
    w: (count) => numbered(count, 'q·'),
    wq: (count) => numbered(count, 'h'),
    wk: (count) => numbered(count, 'h'),
    v: () => ['v'],
  };
  const colsOf: Record<ScoringGridName, (count: number) => string[]> = {
    w: (count) => numbered(count, 'k·'),
    wq: (count) => numbered(count, 'q·'),
    wk: (count) => numbered(count, 'k·'),
    v: (count) => numbered(count, 'h'),
  };
  return html`<div class="scoring" id="scoring-weights">
    <p class="muted">
      The ${options.score} score's weights, shared by every head${options.score === 'additive' ? html` (a = ${a} hidden units)` : nothing}:
    </p>
    ${names.map((name) => {
      const grid = m.scoring[name];
      if (!grid) return nothing;
      return html`<attn-matrix-editor
        name=${`score-${name}`}
        heading=${`${SCORING_GRID_TITLES[name]} — ${name === 'w' ? 'general score' : 'additive score'}`}
        hint=${describeGrid(name, widths.dq, widths.dk, a)}
        .values=${grid}
        .rowLabels=${rowsOf[name](grid.length)}
        .colLabels=${colsOf[name](grid[0]?.length ?? 0)}
        ?structural=${name !== 'w'}
        axes=${name === 'v' ? 'cols' : 'rows'}
        .axisNames=${HIDDEN_UNIT}
      ></attn-matrix-editor>`;
    })}
  </div>`;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-problem-editor': AttnProblemEditor;
  }
}
