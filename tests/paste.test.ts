import { describe, expect, it } from 'vitest';
import { InputError } from '../src/core/errors';
import {
  gridShape,
  identity,
  insertCol,
  insertRow,
  parseCell,
  pasteBlock,
  randomGrid,
  removeCol,
  removeRow,
  resize,
  setCell,
  toMatrix,
  zeros,
} from '../src/core/grid';
import { isBlock, parsePasteBlock } from '../src/core/paste';

describe('parsePasteBlock', () => {
  it.each([
    [
      'tab-separated (a spreadsheet)',
      '1\t2\t3\n4\t5\t6\n',
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ],
    [
      'comma-separated',
      '1,2\r\n3,4',
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [
      'semicolon-separated',
      '1;2\n3;4',
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [
      'space-separated with brackets (a printed array)',
      '[[1 2]\n [3 4]]',
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [
      'a trailing separator',
      '1,2,\n3,4,',
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [
      'a one-line nested list (print(x.tolist()), JSON.stringify)',
      '[[1, 2], [3, 4]]',
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [
      'a nested list without spaces, 3×2',
      '[[1,2],[3,4],[5,6]]',
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ],
    [
      "numpy's repr, array([[…]])",
      'array([[1, 2], [3, 4]])',
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [
      "numpy's multi-line repr with a dtype",
      'array([[1.5, 2. ],\n       [3. , 4. ]], dtype=float32)',
      [
        [1.5, 2],
        [3, 4],
      ],
    ],
    [
      "PyTorch's tensor([[…]])",
      'tensor([[1., 2.], [3., 4.]])',
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [
      "PyTorch's tensor with keyword arguments",
      "tensor([[1., 2.],\n        [3., 4.]], device='cuda:0', requires_grad=True)",
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [
      "numpy's print of a 2-D array (spaces, one row a line)",
      '[[1. 2.]\n [3. 4.]]',
      [
        [1, 2],
        [3, 4],
      ],
    ],
    ["numpy's print of a long row, wrapped", '[[1. 2. 3.\n  4. 5.]]', [[1, 2, 3, 4, 5]]],
    [
      'bracketed rows, one a line',
      '[1, 2]\n[3, 4]',
      [
        [1, 2],
        [3, 4],
      ],
    ],
    ['a flat list (one row)', '[1, 2, 3]', [[1, 2, 3]]],
    ['a flat list with a trailing comma', '[1, 2, 3,]', [[1, 2, 3]]],
    ['one bracketed row', '[[1, 2, 3]]', [[1, 2, 3]]],
    ['exponents and unicode minus', '1e-3\t\u22122.5', [[0.001, -2.5]]],
    ['one number', ' 7 ', [[7]]],
  ])('reads %s', (_, text, expected) => {
    expect(parsePasteBlock(text)).toEqual(expected);
  });

  it.each([
    ['a word', '1\t2\nx\t3', /row 2, column 1: "x" is not a decimal number/],
    ['ragged rows', '1,2\n3', /row 2 has 1 values, row 1 has 2/],
    ['ragged nested rows', '[[1, 2], [3]]', /row 2 has 1 values, row 1 has 2/],
    ['ragged rows in numpy print', '[[1. 2.]\n [3.]]', /row 2 has 1 values, row 1 has 2/],
    ['an empty nested row', '[[1, 2], []]', /row 2 is empty/],
    ['an empty list', '[]', /nothing to paste/],
    ['a 3-D array', '[[[1, 2], [3, 4]]]', /more than two levels of brackets/],
    ['numbers beside rows', '[[1, 2], 3]', /"3" stands outside the bracketed rows/],
    ['an unclosed bracket', '[[1, 2], [3, 4]', /a "\[" is never closed/],
    ['an unopened bracket', '[1, 2]]', /a "\]" closes a bracket that was never opened/],
    ['text before the array', 'x = [[1, 2]]', /text outside the brackets/],
    ['an empty cell in a nested row', '[[1, , 2]]', /row 1, column 2: an empty cell/],
    ["numpy's summarised print", '[[1. 2. ... 9.]]', /row 1, column 3: "..." is not a decimal number/],
    ['an empty cell', '1,,2', /row 1, column 2: an empty cell/],
    ['nothing', '  \n ', /nothing to paste/],
    ['Infinity', '1 Infinity', /row 1, column 2: "Infinity" is not a decimal number/],
    ['a hex literal', '0x10 1', /row 1, column 1: "0x10" is not a decimal number/],
    ['a binary literal', '1;0b101', /row 1, column 2: "0b101" is not a decimal number/],
    ['an octal literal', '0o17', /row 1, column 1: "0o17" is not a decimal number/],
    ['a value beyond float32', '1\n1e39', /row 2, column 1: "1e39" is 1e\+39, outside float32's range/],
    ['a value beyond float64', '1e400', /row 1, column 1: "1e400" is not a finite number/],
  ])('rejects %s with an InputError naming the place', (_, text, message) => {
    expect(() => parsePasteBlock(text)).toThrow(InputError);
    expect(() => parsePasteBlock(text)).toThrow(message);
  });

  it.each([
    ['1\t2', true],
    ['1\n2', true],
    ['1 2', true],
    ['1.5', false],
    [' -3 ', false],
  ])('isBlock(%j) is %s', (text, expected) => {
    expect(isBlock(text)).toBe(expected);
  });
});

describe('grid operations', () => {
  const g = [
    [1, 2],
    [3, 4],
  ];

  it('never mutates their input', () => {
    const copy = JSON.parse(JSON.stringify(g));
    setCell(g, 0, 0, 9);
    insertRow(g, 1);
    removeCol(g, 0);
    pasteBlock(g, [[5, 6, 7]], 1, 1);
    expect(g).toEqual(copy);
  });

  it.each([
    [
      'setCell',
      () => setCell(g, 1, 0, 9),
      [
        [1, 2],
        [9, 4],
      ],
    ],
    [
      'insertRow in the middle',
      () => insertRow(g, 1),
      [
        [1, 2],
        [0, 0],
        [3, 4],
      ],
    ],
    ['removeRow', () => removeRow(g, 0), [[3, 4]]],
    [
      'insertCol at the end',
      () => insertCol(g, 2, 5),
      [
        [1, 2, 5],
        [3, 4, 5],
      ],
    ],
    ['removeCol', () => removeCol(g, 1), [[1], [3]]],
    [
      'resize grows with the fill',
      () => resize(g, 3, 3, 1),
      [
        [1, 2, 1],
        [3, 4, 1],
        [1, 1, 1],
      ],
    ],
    [
      'pasteBlock past the edge grows the grid',
      () =>
        pasteBlock(
          g,
          [
            [5, 6],
            [7, 8],
          ],
          1,
          1,
        ),
      [
        [1, 2, 0],
        [3, 5, 6],
        [0, 7, 8],
      ],
    ],
    [
      'identity (rectangular)',
      () => identity(2, 3),
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
    ],
    ['zeros with a constant', () => zeros(1, 2, 0.5), [[0.5, 0.5]]],
  ])('%s', (_, op, expected) => {
    expect(op()).toEqual(expected);
  });

  it('fills seeded random values in [-1, 1), reproducibly, rounded to 2 decimals', () => {
    const a = randomGrid(4, 5, 7),
      b = randomGrid(4, 5, 7),
      c = randomGrid(4, 5, 8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(gridShape(a)).toEqual({ rows: 4, cols: 5 });
    for (const x of a.flat()) {
      expect(x).toBeGreaterThanOrEqual(-1);
      expect(x).toBeLessThan(1);
      expect(Math.round(x * 100) / 100).toBe(x);
    }
    expect(new Set(a.flat()).size).toBeGreaterThan(10);
  });

  it('converts to a float32 matrix', () => {
    const m = toMatrix([
      [0.1, 2],
      [3, 4],
    ]);
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(2);
    expect(m.data[0]).toBe(Math.fround(0.1));
  });

  it.each([['1'], ['-2.5'], [' 3e2 '], ['\u22124'], ['.5'], ['3.4028235e38']])('parseCell accepts %j', (text) => {
    expect(Number.isFinite(parseCell(text))).toBe(true);
  });

  it.each([[''], ['abc'], ['NaN'], ['Infinity'], ['1,5'], ['--1'], ['0x10'], ['0b101'], ['0o17'], ['1e39'], ['1_000']])(
    'parseCell rejects %j',
    (text) => {
      expect(() => parseCell(text)).toThrow(InputError);
    },
  );
});
