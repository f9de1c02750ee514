/**
 * <attn-matrix-toolbar>: a matrix editor's header. The matrix's name and shape, the Fill menu
 * (seeded random, identity, a constant), Import (.npy, .csv, .json) and the Export menu (both close
 * on a choice, Escape, a click outside or focus leaving: DetailsMenus). Fills and
 * imports go up as MatrixEditEvents for `name`; an import says how it went as a NoticeEvent (the
 * editor also shows an import's error under its grid).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { MatrixOp } from '../core/edits';
import { MATRIX_TITLES, scoringGridOf } from '../core/edits';
import { MLP_MATRIX_TITLES, isMlpMatrixName } from '../core/mlp-state';
import { SCORING_GRID_TITLES } from '../core/scoring-state';
import type { Grid } from '../core/grid';
import { fromMatrix, gridShape, identity, parseCell, randomGrid, toMatrix64, zeros } from '../core/grid';
import type { MatrixFormat } from '../core/io';
import { parseMatrix } from '../core/io';
import { DetailsMenus } from './details-menu';
import { downloadMatrix } from './download';
import { MatrixEditEvent, NoticeEvent } from './events';
import type { GridName } from './events';
import { buttonStyles } from './styles';

@customElement('attn-matrix-toolbar')
export class AttnMatrixToolbar extends LitElement {
  static override styles = [
    buttonStyles,
    css`
      :host {
        display: block;
      }
      header {
        display: flex;
        align-items: center;
        gap: 0.35rem;
        margin-bottom: 0.1rem;
      }
      h3 {
        font-size: 0.92rem;
        margin: 0;
        font-weight: 600;
        white-space: nowrap;
      }
      .shape {
        color: var(--attn-color-text-muted);
        font-size: 0.8rem;
        margin-right: auto;
        white-space: nowrap;
      }
      details {
        position: relative;
      }
      details > div {
        outline: none;
        position: absolute;
        right: 0;
        z-index: 5;
        background: var(--attn-color-surface);
        border: 1px solid var(--attn-color-border-menu);
        border-radius: var(--attn-radius-md);
        padding: 0.4rem;
        display: grid;
        gap: 0.3rem;
        min-width: 11rem;
        box-shadow: var(--attn-shadow-menu);
      }
      details label {
        font-size: 0.8rem;
        display: flex;
        gap: 0.3rem;
        align-items: center;
      }
      details input {
        width: 5em;
        border: 1px solid var(--attn-color-border-control);
        border-radius: var(--attn-radius-sm);
        padding: 0.22rem 0.3rem;
        font: inherit;
        text-align: right;
        background: transparent;
        outline: none;
      }
      details input:focus {
        background: var(--attn-color-accent-soft);
        box-shadow: inset 0 0 0 2px var(--attn-color-focus-ring);
      }
    `,
  ];

  /** Which matrix this is; edits are sent with this name, and it names exported files (q.csv, w1.npy). */
  @property() name: GridName = 'q';
  @property() heading = '';
  @property({ attribute: false }) values: Grid = [[0]];
  /** Export only (derived matrices). */
  @property({ type: Boolean }) readonly = false;

  private readonly menus = new DetailsMenus(this);

  @state() private fillSeed = 1;
  /** The constant to fill with, as typed (read like a cell when Constant is pressed). */
  @state() private fillConstant = '1';

  override render() {
    const { rows, cols } = gridShape(this.values);
    return html`<header>
      <h3>${this.heading}</h3>
      <span class="shape">${rows}×${cols}</span>
      ${this.readonly ? nothing : this.renderFillMenu()}
      ${
        this.readonly
          ? nothing
          : html`<button @click=${this.chooseFile} title="Replace this matrix with a .npy, .csv or .json file">Import</button>
              <input type="file" hidden accept=".npy,.csv,.tsv,.txt,.json" @change=${this.onFile} />`
      }
      ${this.renderExportMenu()}
    </header>`;
  }

  private renderFillMenu() {
    return html`<details data-menu="fill" @keydown=${this.menus.onKeydown} @focusout=${this.menus.onFocusOut}>
      <summary class="button" title="Fill the whole matrix">Fill</summary>
      <div tabindex="-1">
        <button @click=${this.fillRandom}>Random (seed ${this.fillSeed})</button>
        <button @click=${this.fillIdentity}>Identity</button>
        <label
          ><button @click=${this.fillConst}>Constant</button>
          <input
            inputmode="decimal"
            .value=${this.fillConstant}
            @input=${(e: Event) => (this.fillConstant = (e.target as HTMLInputElement).value)}
            @keydown=${(e: KeyboardEvent) => {
              if (e.key !== 'Enter') return;
              // Else the Enter goes on to the menu's button, which has the focus once the menu closes, and opens it again.
              e.preventDefault();
              this.fillConstant = (e.target as HTMLInputElement).value;
              this.fillConst(e);
            }}
            aria-label="constant value"
        /></label>
      </div>
    </details>`;
  }

  private renderExportMenu() {
    return html`<details data-menu="export" @keydown=${this.menus.onKeydown} @focusout=${this.menus.onFocusOut}>
      <summary class="button" title="Download this matrix">Export</summary>
      <div tabindex="-1">
        ${(['npy', 'csv', 'json'] as MatrixFormat[]).map(
          (f) =>
            html`<button
              @click=${(e: Event) => {
                this.menus.close(e.currentTarget);
                this.exportAs(f);
              }}
            >
              .${f}
            </button>`,
        )}
      </div>
    </details>`;
  }

  /** Sends the edit up; false when the page refused it (and said why). */
  private emit(op: MatrixOp): boolean {
    const event = new MatrixEditEvent(this.name, op);
    this.dispatchEvent(event);
    return !event.refused;
  }

  /** The matrix's name in messages: "Q", a score function's "W_k", or MLP mode's "W₁". */
  private get matrixTitle(): string {
    const name = this.name;
    if (isMlpMatrixName(name)) return MLP_MATRIX_TITLES[name];
    const grid = scoringGridOf(name);
    return grid ? SCORING_GRID_TITLES[grid] : MATRIX_TITLES[name as keyof typeof MATRIX_TITLES];
  }

  private fillRandom = (e: Event) => {
    this.menus.close(e.currentTarget);
    const { rows, cols } = gridShape(this.values);
    this.emit({ kind: 'replace', grid: randomGrid(rows, cols, this.fillSeed) });
    this.fillSeed++;
  };

  private fillIdentity = (e: Event) => {
    this.menus.close(e.currentTarget);
    const { rows, cols } = gridShape(this.values);
    this.emit({ kind: 'replace', grid: identity(rows, cols) });
  };

  private fillConst = (e: Event) => {
    this.menus.close(e.currentTarget);
    const { rows, cols } = gridShape(this.values);
    let value: number;
    try {
      value = parseCell(this.fillConstant);
    } catch (error) {
      // Same source as the editor's paste errors: a good edit replaces this notice.
      const text = `Constant fill: ${(error as Error).message}. ${this.matrixTitle} is unchanged.`;
      this.dispatchEvent(new NoticeEvent('error', text, `matrix:${this.name}`));
      return;
    }
    this.emit({ kind: 'replace', grid: zeros(rows, cols, value) });
  };

  private chooseFile = () => {
    this.renderRoot.querySelector<HTMLInputElement>('input[type=file]')?.click();
  };

  private onFile = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const m = parseMatrix(await file.arrayBuffer(), file.name, `${this.matrixTitle} from ${file.name}`);
      // A shape the page refuses (a score function's weights must fit Q and K) is not announced as imported.
      if (!this.emit({ kind: 'replace', grid: fromMatrix(m) })) return;
      // Same source as the editor's paste errors: a good import replaces a bad one's notice.
      this.dispatchEvent(
        new NoticeEvent('info', `Imported ${file.name} into ${this.matrixTitle} (${m.rows}×${m.cols}).`, `matrix:${this.name}`),
      );
    } catch (error) {
      this.dispatchEvent(new NoticeEvent('error', `${(error as Error).message}. ${this.matrixTitle} is unchanged.`, `matrix:${this.name}`));
    }
  };

  private exportAs(format: MatrixFormat): void {
    downloadMatrix(toMatrix64(this.values), this.name, format);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-matrix-toolbar': AttnMatrixToolbar;
  }
}
