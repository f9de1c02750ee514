/**
 * A pasted block of numbers, as spreadsheets (tab-separated), CSV files (commas) or a printed
 * array (spaces, brackets) put it on the clipboard. Every row must have the same length.
 */
import { InputError } from './errors';
import type { Grid } from './grid';
import { parseCell } from './grid';

const SPACES = /\s+/;

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

export function parsePasteBlock(text: string, what = 'pasted block'): Grid {
  // Printed arrays ("[[1 2]\n [3 4]]", "[1, 2]") keep their numbers once the brackets go.
  const raw = text
    .replace(/[[\]]/g, ' ')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  if (raw.length === 0) throw new InputError(`${what}: nothing to paste`);
  const sep = separatorOf(raw);
  // Spaces around a row go; a leading tab or comma stays: it is an empty first cell, not padding.
  const bySpaces = sep === SPACES;
  const lines = raw.map((l) => (bySpaces ? l.trim() : l.replace(/^ +| +$/g, '')));
  const grid = lines.map((line, i) =>
    line
      .split(sep)
      .map((cell) => cell.trim())
      // A row ending in a separator ("1,2,") leaves one empty cell at the end: not a value.
      .filter((cell, j, cells) => !(cell === '' && j > 0 && j === cells.length - 1))
      .map((cell, j) => {
        try {
          return parseCell(cell);
        } catch (error) {
          throw new InputError(`${what}: row ${i + 1}, column ${j + 1}: ${(error as Error).message}`);
        }
      }),
  );
  const cols = grid[0].length;
  grid.forEach((row, i) => {
    if (row.length !== cols) throw new InputError(`${what}: row ${i + 1} has ${row.length} values, row 1 has ${cols}`);
  });
  return grid;
}
