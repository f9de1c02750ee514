/**
 * <attn-matrix-editor>: a spreadsheet-like grid for one matrix. Arrow keys, Tab and Enter move
 * between cells; a pasted block (tab-, comma- or space-separated) lands at the cursor; rows and
 * columns can be added and removed; fill with seeded random values, the identity or a constant;
 * import and export as .npy, .csv or .json. A cell that is not a finite number is flagged with a
 * message and the matrix keeps its last valid value. Edits go up as MatrixEditEvents.
 */
import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { MatrixOp } from '../core/edits';
import type { Grid } from '../core/grid';
import { gridShape, parseCell } from '../core/grid';
import { isBlock, parsePasteBlock } from '../core/paste';
import { MatrixEditEvent, NoticeEvent } from './events';
import type { GridName } from './events';
import { matrixGridStyles } from './matrix-editor-styles';
import { buttonStyles, srOnlyStyles } from './styles';
import './attn-matrix-toolbar';

/** Most cells drawn as inputs (the whole matrix still imports, exports and runs). */
const MAX_SHOWN_CELLS = 2048;

interface Draft {
  text: string;
  /** Why the text is not a number; null while the text is a valid number being typed. */
  error: string | null;
}

@customElement('attn-matrix-editor')
export class AttnMatrixEditor extends LitElement {
  static override styles = [buttonStyles, matrixGridStyles, srOnlyStyles];

  /** Which matrix this is; edits are sent with this name, and it names exported files and this grid's notices. */
  @property() name: GridName = 'q';
  @property() heading = '';
  /** A short line under the heading (what the rows and columns are). */
  @property() hint = '';
  @property({ attribute: false }) values: Grid = [[0]];
  @property({ attribute: false }) rowLabels: readonly string[] = [];
  @property({ attribute: false }) colLabels: readonly string[] = [];
  /** Show values only (derived matrices); export still works. */
  @property({ type: Boolean }) readonly = false;
  /** Allow adding and removing rows and columns. */
  @property({ type: Boolean }) structural = false;
  /** Which of them (with `structural`): both, or only rows or only columns (a shape fixed on the other axis). */
  @property() axes: 'both' | 'rows' | 'cols' = 'both';
  /** What a row or column is called on the structure buttons ("row", "column" by default; e.g. "hidden unit"). */
  @property({ attribute: false }) axisNames: { row: string; col: string } = { row: 'row', col: 'col' };
  /** Cells beyond these are not drawn (the whole matrix still imports, exports and runs). */
  @property({ type: Number, attribute: 'max-rows' }) maxRows = 128;
  @property({ type: Number, attribute: 'max-cols' }) maxCols = 64;

  @state() private drafts = new Map<string, Draft>();
  @state() private message: string | null = null;
  private cursor: [number, number] | null = null;
  /**
   * The cell last focused, its value then (what Escape puts back) and the last value typing there
   * applied (Escape puts it back only while the grid still holds that: not after a paste, an undo…).
   */
  private focusedValue: { row: number; col: number; value: number | undefined; typed?: number } | null = null;
  /** Characters per column, so typical values show in full without the grid sprawling. */
  private widths: number[] = [];

  override render() {
    const { rows, cols } = gridShape(this.values);
    const shownCols = Math.min(cols, this.maxCols);
    // Thousands of inputs take seconds to build: a wide matrix shows fewer rows.
    const shownRows = Math.min(rows, this.maxRows, Math.max(16, Math.floor(MAX_SHOWN_CELLS / Math.max(shownCols, 1))));
    this.widths = columnWidths(this.values, shownRows, shownCols);
    return html`
      <attn-matrix-toolbar
        name=${this.name}
        heading=${this.heading}
        .values=${this.values}
        ?readonly=${this.readonly}
        @attn-notice=${this.onToolbarNotice}
        @attn-matrix-edit=${this.onToolbarEdit}
      ></attn-matrix-toolbar>
      ${this.hint ? html`<p class="hint">${this.hint}</p>` : nothing}
      <div class="scroll" tabindex=${this.readonly ? '0' : nothing} role="region" aria-label=${`${this.heading} values`}>
        <table>
          <thead>
            <tr>
              <th><span class="sr-only">row</span></th>
              ${Array.from({ length: shownCols }, (_, j) => html`<th title=${this.colLabels[j] ?? ''}>${this.colLabels[j] ?? j}</th>`)}
            </tr>
          </thead>
          <tbody @keydown=${this.onKey} @paste=${this.onPaste} @input=${this.onInput} @focusin=${this.onFocus} @focusout=${this.onBlur}>
            ${Array.from(
              { length: shownRows },
              (_, i) =>
                html`<tr>
                  <th title=${this.rowLabels[i] ?? ''}>${this.rowLabels[i] ?? i}</th>
                  ${Array.from({ length: shownCols }, (_, j) => this.renderCell(i, j))}
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${rows > shownRows || cols > shownCols ? html`<p class="note">Showing ${shownRows}×${shownCols} of ${rows}×${cols}; import and export work on the whole matrix.</p>` : nothing}
      ${this.structural && !this.readonly ? this.renderStructure(rows, cols) : nothing}
      ${this.message ? html`<p class="message" role="alert">${this.message}</p>` : nothing}
    `;
  }

  private renderCell(i: number, j: number) {
    const value = this.values[i][j];
    if (this.readonly) return html`<td class="ro" title=${String(value)}>${formatCell(value)}</td>`;
    const draft = this.drafts.get(`${i},${j}`);
    const text = draft && (draft.error || safeParse(draft.text) === value) ? draft.text : String(value);
    return html`<td>
      <input
        style=${`width:${this.widths[j] ?? 6}ch`}
        class=${draft?.error ? 'invalid' : ''}
        .value=${text}
        data-row=${i}
        data-col=${j}
        inputmode="decimal"
        spellcheck="false"
        autocomplete="off"
        aria-label=${`${this.heading} row ${this.rowLabels[i] ?? i} column ${this.colLabels[j] ?? j}`}
        aria-invalid=${draft?.error ? 'true' : 'false'}
      />
    </td>`;
  }

  private renderStructure(rows: number, cols: number) {
    const [r, c] = this.cursor ?? [rows - 1, cols - 1];
    const { row, col } = this.axisNames;
    return html`<div class="structure">
      ${this.axes === 'cols' ? nothing : this.axisButtons('row', row, row, 'below', r, rows)}
      ${this.axes === 'rows' ? nothing : this.axisButtons('col', col, col === 'col' ? 'column' : col, 'right of', c, cols)}
    </div>`;
  }

  /** "+ name" adds one after the cursor's, "− name" removes the cursor's (never the last one). */
  private axisButtons(axis: 'row' | 'col', name: string, word: string, where: string, cursor: number, count: number) {
    const insert = axis === 'row' ? ('insert-row' as const) : ('insert-col' as const);
    const remove = axis === 'row' ? ('remove-row' as const) : ('remove-col' as const);
    return html`<button
        @click=${() => this.emit({ kind: insert, at: Math.min(cursor + 1, count) })}
        title=${`Add a ${word} ${where} the cursor`}
      >
        + ${name}
      </button>
      <button
        @click=${() => this.emit({ kind: remove, at: Math.min(cursor, count - 1) })}
        ?disabled=${count <= 1}
        title=${`Remove the cursor's ${word}`}
      >
        − ${name}
      </button>`;
  }

  private emit(op: MatrixOp, ownStep = false): void {
    this.dispatchEvent(new MatrixEditEvent(this.name, op, ownStep));
  }

  /** An import's outcome: its error also shows under the grid; a successful import clears the line. */
  private onToolbarNotice = (event: NoticeEvent) => {
    if (event.level === 'error') this.say(event.text);
  };

  /** A fill or an import replaced the whole matrix: what was typed over it, and its messages, are gone. */
  private onToolbarEdit = () => {
    this.drafts = new Map();
    this.edited();
  };

  /** The page's notices about this matrix (a bad paste or import) carry this source. */
  private get source(): string {
    return `matrix:${this.name}`;
  }

  private say(text: string, notify = false): void {
    this.message = text;
    if (notify) this.dispatchEvent(new NoticeEvent('error', text, this.source));
  }

  /** An edit of this matrix succeeded: an earlier paste or import error is stale; a cell still invalid keeps its message. */
  private edited(): void {
    this.message = [...this.drafts.values()].find((d) => d.error)?.error ?? null;
    this.dispatchEvent(NoticeEvent.clear(this.source));
  }

  private cellOf(target: EventTarget | null): [number, number] | null {
    const input = target as HTMLInputElement | null;
    if (!input || input.tagName !== 'INPUT' || input.dataset.row === undefined) return null;
    return [Number(input.dataset.row), Number(input.dataset.col)];
  }

  private onFocus = (event: FocusEvent) => {
    const cell = this.cellOf(event.target);
    if (!cell) return;
    this.cursor = cell;
    this.focusedValue = { row: cell[0], col: cell[1], value: this.values[cell[0]]?.[cell[1]] };
    (event.target as HTMLInputElement).select();
    this.requestUpdate();
  };

  private onBlur = (event: FocusEvent) => {
    const cell = this.cellOf(event.target);
    if (!cell) return;
    const key = `${cell[0]},${cell[1]}`;
    const draft = this.drafts.get(key);
    if (draft && !draft.error) {
      const drafts = new Map(this.drafts);
      drafts.delete(key);
      this.drafts = drafts;
    }
  };

  private onInput = (event: Event) => {
    const cell = this.cellOf(event.target);
    if (!cell) return;
    const [i, j] = cell;
    const text = (event.target as HTMLInputElement).value;
    const drafts = new Map(this.drafts);
    try {
      const value = parseCell(text);
      drafts.set(`${i},${j}`, { text, error: null });
      this.drafts = drafts;
      this.edited();
      if (this.focusedValue?.row === i && this.focusedValue.col === j) this.focusedValue.typed = value;
      this.emit({ kind: 'set', row: i, col: j, value });
    } catch (error) {
      const message = `${this.heading.split(' ')[0] || this.name}[${i}][${j}]: ${(error as Error).message}; still using ${this.values[i][j]}.`;
      drafts.set(`${i},${j}`, { text, error: message });
      this.drafts = drafts;
      this.say(message);
    }
  };

  private onKey = (event: KeyboardEvent) => {
    const cell = this.cellOf(event.target);
    if (!cell) return;
    const input = event.target as HTMLInputElement;
    const [i, j] = cell;
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length && input.selectionEnd === input.value.length;
    const allSelected = input.selectionStart === 0 && input.selectionEnd === input.value.length;
    let target: [number, number] | null = null;
    switch (event.key) {
      case 'ArrowUp':
        target = [i - 1, j];
        break;
      case 'ArrowDown':
        target = [i + 1, j];
        break;
      case 'ArrowLeft':
        if (atStart || allSelected) target = [i, j - 1];
        break;
      case 'ArrowRight':
        if (atEnd || allSelected) target = [i, j + 1];
        break;
      case 'Enter':
        if (!event.ctrlKey && !event.metaKey) target = [i + (event.shiftKey ? -1 : 1), j];
        break;
      case 'Escape':
        this.revert(i, j);
        break;
    }
    if (target && this.focusCell(target[0], target[1])) event.preventDefault();
  };

  /**
   * Escape: the cell back to the value it had when it was focused (what typing there applied is
   * undone, as one more edit), its draft and message gone.
   */
  private revert(i: number, j: number): void {
    const drafts = new Map(this.drafts);
    drafts.delete(`${i},${j}`);
    this.drafts = drafts;
    this.message = [...drafts.values()].find((d) => d.error)?.error ?? null;
    const before = this.focusedValue;
    const now = this.values[i]?.[j];
    // `now` may still be the value before the typing when the grid has not re-rendered yet.
    if (
      before?.row === i &&
      before.col === j &&
      before.value !== undefined &&
      before.typed !== undefined &&
      before.typed !== before.value &&
      (now === before.typed || now === before.value)
    ) {
      before.typed = undefined;
      const input = this.renderRoot.querySelector<HTMLInputElement>(`input[data-row="${i}"][data-col="${j}"]`);
      if (input) input.value = String(before.value);
      this.edited();
      // Its own undo step: merged with the typing it takes back, Undo would lose both.
      this.emit({ kind: 'set', row: i, col: j, value: before.value }, true);
    }
  }

  /** Moves focus to a cell; false when it is off the grid. */
  focusCell(i: number, j: number): boolean {
    const input = this.renderRoot.querySelector<HTMLInputElement>(`input[data-row="${i}"][data-col="${j}"]`);
    if (!input) return false;
    input.focus();
    return true;
  }

  private onPaste = (event: ClipboardEvent) => {
    const cell = this.cellOf(event.target);
    const text = event.clipboardData?.getData('text/plain') ?? '';
    if (!cell || !isBlock(text)) return;
    event.preventDefault();
    try {
      const block = parsePasteBlock(text);
      this.edited();
      // A paste is not typing: Escape does not take one cell of it back.
      this.focusedValue = null;
      this.emit({ kind: 'paste', row: cell[0], col: cell[1], block });
    } catch (error) {
      this.say(`${(error as Error).message}. Nothing was pasted.`, true);
    }
  };
}

function columnWidths(values: Grid, rows: number, cols: number): number[] {
  return Array.from({ length: cols }, (_, j) => {
    let longest = 3;
    for (let i = 0; i < rows; i++) longest = Math.max(longest, String(values[i][j]).length);
    return Math.min(longest + 1.5, 12);
  });
}

function safeParse(text: string): number {
  try {
    return parseCell(text);
  } catch {
    return NaN;
  }
}

/** Read-only cells: 4 significant digits (the title attribute has the exact value). */
function formatCell(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-matrix-editor': AttnMatrixEditor;
  }
}
