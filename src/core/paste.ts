/**
 * A pasted block of numbers, as spreadsheets (tab-separated), CSV files (commas) or a printed
 * array put it on the clipboard. A printed array is read by its brackets, so a one-line nested
 * list ("[[1, 2], [3, 4]]", what `print(x.tolist())` and JSON.stringify write) is two rows, as
 * numpy's multi-line "[[1. 2.]\n [3. 4.]]" is; a wrapper such as "array(…)" or
 * "tensor(…, dtype=…)" is dropped. Every row must have the same length.
 */
import { InputError } from './errors';
import type { Grid } from './grid';
import { parseCell } from './grid';

const SPACES = /\s+/;
/** What may stand between bracketed rows: spaces, newlines and commas. */
const BETWEEN_ROWS = /^[\s,]*$/;

/** The separator the whole block uses: tab beats semicolon beats comma beats runs of spaces. */
function separatorOf(lines: string[]): RegExp {
  const all = lines.join('\n');
  if (all.includes('\t')) return /\t/;
  if (all.includes(';')) return /;/;
  if (all.includes(',')) return /,/;
  return SPACES;
}

/** True when the text holds more than one value, i.e. it should be pasted as a block. */
export function isBlock(text: string): boolean {
  return /[\t\n;,]/.test(text.trim()) || /\S\s+\S/.test(text.trim());
}

/** The cells of each line, split on the separator the whole block uses. */
function delimitedRows(text: string): string[][] {
  const raw = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const sep = separatorOf(raw);
  // Spaces around a row go; a leading tab or comma stays: it is an empty first cell, not padding.
  const bySpaces = sep === SPACES;
  return raw.map((l) => splitRow(bySpaces ? l.trim() : l.replace(/^ +| +$/g, ''), sep));
}

function splitRow(line: string, sep: RegExp): string[] {
  return (
    line
      .split(sep)
      .map((cell) => cell.trim())
      // A row ending in a separator ("1,2,") leaves one empty cell at the end: not a value.
      .filter((cell, j, cells) => !(cell === '' && j > 0 && j === cells.length - 1))
  );
}

/** "array([[1, 2]], dtype=float32)" or "tensor([[1.]], device='cuda:0')" without its wrapper. */
function unwrapped(text: string): string {
  const call = /^\s*[A-Za-z_][\w.]*\(([\s\S]*)\)\s*$/.exec(text);
  if (!call) return text;
  const inner = call[1];
  const end = inner.lastIndexOf(']') + 1;
  // Keyword arguments after the array (dtype=…, device=…, requires_grad=…) hold no brackets.
  return end > 0 && /^\s*(,[^[\]]*)?$/.test(inner.slice(end)) ? inner.slice(0, end) : text;
}

/** Numbers beside bracketed rows ("[[1, 2], 3]"): a list holds numbers or rows, not both. */
function strayText(text: string, what: string): InputError {
  const stray = text.replace(/^[\s,]+|[\s,]+$/g, '').slice(0, 40);
  return new InputError(`${what}: "${stray}" stands outside the bracketed rows`);
}

/**
 * The rows of a bracketed block, each as the text between its brackets: "[[1, 2], [3, 4]]" and
 * "[1, 2]\n[3, 4]" are two rows, "[1, 2, 3]" is one. Read without recursion, so a deeply nested
 * paste is refused at its third bracket.
 */
function bracketedRows(text: string, what: string): string[] {
  const rows: string[] = [];
  let depth = 0;
  let outer = ''; // the text at depth 1 since the last inner row (or the list's start)
  let inner = '';
  let outerHasRows = false;
  for (const ch of text) {
    if (ch === '[') {
      if (depth === 2) throw new InputError(`${what}: more than two levels of brackets (a 3-D array); paste one matrix`);
      if (depth === 1) {
        if (!BETWEEN_ROWS.test(outer)) throw strayText(outer, what);
        outerHasRows = true;
        inner = '';
      } else {
        outerHasRows = false;
      }
      outer = '';
      depth++;
    } else if (ch === ']') {
      if (depth === 0) throw new InputError(`${what}: a "]" closes a bracket that was never opened`);
      if (depth === 2) rows.push(inner);
      else if (!outerHasRows) rows.push(outer);
      else if (!BETWEEN_ROWS.test(outer)) throw strayText(outer, what);
      outer = '';
      depth--;
    } else if (depth === 2) {
      inner += ch;
    } else if (depth === 1) {
      outer += ch;
    } else if (!BETWEEN_ROWS.test(ch)) {
      throw new InputError(`${what}: text outside the brackets (${JSON.stringify(ch)}); paste the array alone`);
    }
  }
  if (depth > 0) throw new InputError(`${what}: a "[" is never closed`);
  return rows;
}

/** A bracketed row's cells: separated by commas when it has any (Python, JSON), else by spaces (numpy). */
function bracketedCells(row: string): string[] {
  const text = row.trim();
  if (text === '') return [];
  return text.includes(',') ? splitRow(text, /,/) : text.split(SPACES);
}

export function parsePasteBlock(text: string, what = 'pasted block'): Grid {
  const cells = /[[\]]/.test(text) ? bracketedRows(unwrapped(text), what).map(bracketedCells) : delimitedRows(text);
  if (cells.length === 0 || cells.every((row) => row.length === 0)) throw new InputError(`${what}: nothing to paste`);
  const grid = cells.map((row, i) => {
    if (row.length === 0) throw new InputError(`${what}: row ${i + 1} is empty`);
    return row.map((cell, j) => {
      try {
        return parseCell(cell);
      } catch (error) {
        throw new InputError(`${what}: row ${i + 1}, column ${j + 1}: ${(error as Error).message}`);
      }
    });
  });
  const cols = grid[0].length;
  grid.forEach((row, i) => {
    if (row.length !== cols) throw new InputError(`${what}: row ${i + 1} has ${row.length} values, row 1 has ${cols}`);
  });
  return grid;
}
