/**
 * The key–value memory's float64 reference (src/core/memory.ts) against values worked by hand and
 * against a separately written loop, its input errors, and the facts example
 * (src/core/memory-facts.ts): each hop reads the right fact, the answer follows the facts.
 */
import { describe, expect, it } from 'vitest';
import type { MemoryProblem, MemoryUpdate } from '../src/core/memory';
import { memoryReference } from '../src/core/memory';
import { DEFAULT_FACTS, DEFAULT_QUESTION, DEFAULT_SETUP, activeWords, runFacts } from '../src/core/memory-facts';
import { fromRows, matrix } from '../src/core/tensor';
import { randomMatrix } from '../src/core/rng';

function tiny(update: MemoryUpdate, hops = 2): MemoryProblem {
  return {
    keys: fromRows([
      [1, 0],
      [0, 1],
    ]),
    values: fromRows([
      [0, 1],
      [1, 0],
    ]),
    query: fromRows([[1, 0]]),
    hops,
    update,
    rotation: fromRows([
      [0, 1],
      [1, 0],
    ]),
    temperature: 1,
    scale: 'none',
  };
}

describe('memory reference: hand values', () => {
  // Hop 1: q₁ = (1, 0), scores q₁Kᵀ = (1, 0); p₁ = (e/(e+1), 1/(e+1)) = (0.7310585786, 0.2689414214);
  // o₁ = p₁V = (p₁[1], p₁[0]) = (0.2689414214, 0.7310585786).
  it('hop 1', () => {
    const [hop] = memoryReference(tiny('residual', 1));
    expect(Array.from(hop.scores)).toEqual([1, 0]);
    expect(hop.weights[0]).toBeCloseTo(0.7310585786, 9);
    expect(hop.weights[1]).toBeCloseTo(0.2689414214, 9);
    expect(hop.output[0]).toBeCloseTo(0.2689414214, 9);
    expect(hop.output[1]).toBeCloseTo(0.7310585786, 9);
  });
  // residual: q₂ = q₁ + o₁ = (1.2689414214, 0.7310585786), float32 → gap q₂[0] − q₂[1] = 0.5378828049;
  // p₂ = (1/(1+e^−0.5378828), 1/(1+e^0.5378828)) = (0.6313197669, 0.3686802331); o₂ = (0.3686802331, 0.6313197669).
  // rotate with R = swap: q₂ = (0.7310585786, 1.2689414214), the gap is reversed: p₂ = (0.3686802331, 0.6313197669).
  it.each([
    { update: 'residual' as const, q2: [1.2689414214, 0.7310585786], p2: [0.6313197669, 0.3686802331] },
    { update: 'rotate' as const, q2: [0.7310585786, 1.2689414214], p2: [0.3686802331, 0.6313197669] },
  ])('hop 2 with $update', ({ update, q2, p2 }) => {
    const [first, second] = memoryReference(tiny(update));
    expect(first.next[0]).toBeCloseTo(q2[0], 9);
    expect(first.next[1]).toBeCloseTo(q2[1], 9);
    expect(second.query[0]).toBeCloseTo(q2[0], 6);
    expect(second.weights[0]).toBeCloseTo(p2[0], 7);
    expect(second.weights[1]).toBeCloseTo(p2[1], 7);
    expect(second.output[0]).toBeCloseTo(p2[1], 7);
    expect(second.output[1]).toBeCloseTo(p2[0], 7);
  });
});

/** A separately written loop: softmax over q·k·scale/T, weighted values, the update, float32 queries. */
function oracle(p: MemoryProblem): { weights: number[]; output: number[] }[] {
  const d = p.query.cols,
    m = p.keys.rows;
  const alpha = (p.scale === 'none' ? 1 : p.scale === 'default' ? 1 / Math.sqrt(d) : p.scale) / p.temperature;
  let q = Array.from(p.query.data);
  const out: { weights: number[]; output: number[] }[] = [];
  for (let hop = 0; hop < p.hops; hop++) {
    const s = Array.from({ length: m }, (_, j) => alpha * q.reduce((acc, x, c) => acc + x * p.keys.data[j * d + c], 0));
    const top = Math.max(...s);
    const e = s.map((x) => Math.exp(x - top));
    const total = e.reduce((a, b) => a + b, 0);
    const w = e.map((x) => x / total);
    const o = Array.from({ length: d }, (_, c) => w.reduce((acc, x, j) => acc + x * p.values.data[j * d + c], 0));
    out.push({ weights: w, output: o });
    const sum = q.map((x, c) => x + o[c]);
    const next = p.update === 'residual' ? sum : sum.map((_, i) => sum.reduce((acc, x, j) => acc + p.rotation!.data[i * d + j] * x, 0));
    q = next.map(Math.fround);
  }
  return out;
}

describe('memory reference against an independent loop', () => {
  it.each([
    { name: 'residual, 5 slots, d 4, 3 hops', update: 'residual' as const, m: 5, d: 4, hops: 3, seed: 1 },
    { name: 'rotate, 7 slots, d 6, 4 hops', update: 'rotate' as const, m: 7, d: 6, hops: 4, seed: 2 },
    { name: 'rotate, 1 slot, d 3, 16 hops', update: 'rotate' as const, m: 1, d: 3, hops: 16, seed: 3 },
  ])('$name', ({ update, m, d, hops, seed }) => {
    const r = randomMatrix(d, d, seed + 30);
    r.data.forEach((x, i) => (r.data[i] = x * 0.5));
    const p: MemoryProblem = {
      keys: randomMatrix(m, d, seed),
      values: randomMatrix(m, d, seed + 10),
      query: randomMatrix(1, d, seed + 20),
      hops,
      update,
      rotation: r,
      temperature: 0.7,
      scale: 'default',
    };
    const got = memoryReference(p);
    const want = oracle(p);
    expect(got).toHaveLength(hops);
    got.forEach((hop, t) => {
      hop.weights.forEach((x, j) => expect(x, `hop ${t + 1} weight ${j}`).toBeCloseTo(want[t].weights[j], 10));
      hop.output.forEach((x, c) => expect(x, `hop ${t + 1} output ${c}`).toBeCloseTo(want[t].output[c], 10));
    });
  });
});

describe('memory input errors', () => {
  const base = tiny('rotate');
  it.each([
    { name: 'hops 0', change: { hops: 0 }, message: 'hops must be 1 to 16, got 0' },
    { name: 'hops 17', change: { hops: 17 }, message: 'hops must be 1 to 16, got 17' },
    { name: 'R not d×d', change: { rotation: matrix(2, 3) }, message: 'R is 2×3 but must be d×d = 2×2' },
    { name: 'rotate without R', change: { rotation: null }, message: "the 'rotate' update needs a matrix R" },
    { name: 'slot counts differ', change: { values: matrix(3, 2) }, message: 'K has 2 slots but V has 3' },
    { name: 'q width ≠ K width', change: { query: matrix(1, 3) }, message: 'the query has width 3 but K has width 2' },
    { name: 'V width ≠ q width', change: { values: matrix(2, 3) }, message: 'V has width 3 but the query has width 2' },
    { name: 'non-finite K', change: { keys: matrix(2, 2, [1, NaN, 0, 1]) }, message: 'K[0][1] is NaN, not a finite number' },
    { name: 'non-finite R', change: { rotation: matrix(2, 2, [1, 0, Infinity, 1]) }, message: 'R[1][0] is Infinity' },
    { name: 'temperature 0', change: { temperature: 0 }, message: 'temperature must be a positive finite number, got 0' },
  ])('$name', ({ change, message }) => {
    expect(() => memoryReference({ ...base, ...change } as MemoryProblem)).toThrow(message);
  });
});

const place = (facts: readonly string[], setup = DEFAULT_SETUP, question = DEFAULT_QUESTION) => runFacts(facts, question, setup);

describe('the facts example', () => {
  it('hop 1 reads the football fact, hop 2 the kitchen fact, each with weight > 0.9', () => {
    const run = place(DEFAULT_FACTS);
    const football = DEFAULT_FACTS.indexOf('John picked up the football');
    const kitchen = DEFAULT_FACTS.indexOf('John went to the kitchen');
    expect(run.hops[0].weights[football]).toBeGreaterThan(0.9);
    expect(run.hops[1].weights[kitchen]).toBeGreaterThan(0.9);
    expect(activeWords(run.hops[0].query).map((w) => w.word)).toEqual(['football']);
    expect(activeWords(run.hops[1].query).map((w) => w.word)).toEqual(['John']);
    expect(run.answer.place).toBe('kitchen');
    expect(run.answer.scores).toHaveLength(6);
    expect(run.answer.scores[0].score).toBeGreaterThan(0.9);
  });

  it.each([
    { name: 'John moves on to the office', edit: ['John went to the kitchen', 'John went to the office'], answer: 'office' },
    { name: 'Mary picks up the football', edit: ['John picked up the football', 'Mary picked up the football'], answer: 'garden' },
    { name: 'the question asks for the apple', edit: null, question: 'where is the apple?', answer: 'office' },
  ])('changing the facts changes the answer: $name', ({ edit, question, answer }) => {
    const facts = edit ? DEFAULT_FACTS.map((f) => (f === edit[0] ? edit[1] : f)) : DEFAULT_FACTS;
    expect(place(facts, DEFAULT_SETUP, question).answer.place).toBe(answer);
  });

  it('the later of two moves wins (recency)', () => {
    const run = place(
      ['John went to the kitchen', 'John picked up the milk', 'John went to the bedroom'],
      DEFAULT_SETUP,
      'where is the milk',
    );
    expect(run.hops[1].weights[2]).toBeGreaterThan(0.9);
    expect(run.answer.place).toBe('bedroom');
  });

  it('q ← q + o is drawn back to the pickup fact when it came last; R is not', () => {
    const facts = ['John went to the kitchen', 'John picked up the football'];
    const residual = place(facts, { ...DEFAULT_SETUP, update: 'residual' });
    expect(residual.hops[1].weights[1]).toBeGreaterThan(0.9);
    expect(residual.answer.place).toBeNull();
    const rotate = place(facts);
    expect(rotate.hops[1].weights[0]).toBeGreaterThan(0.9);
    expect(rotate.answer.place).toBe('kitchen');
  });

  it('says when no fact is about the object: every hop-1 score is 0, yet the softmax still answers', () => {
    const run = place(['John went to the kitchen'], DEFAULT_SETUP, 'where is the football?');
    expect(Array.from(run.hops[0].scores)).toEqual([0]);
    expect(run.hops[0].weights[0]).toBe(1);
    expect(run.answer.place).toBe('kitchen');
    expect(run.ungrounded).toMatch(/^no fact says who picked up the football: hop 1 scores every fact 0/);
    // A fact about another object does not ground it either; the object's own pickup does.
    expect(place(['Sandra picked up the apple', 'Sandra went to the office'], DEFAULT_SETUP, 'where is the football?').ungrounded).toMatch(
      /football/,
    );
    expect(place(DEFAULT_FACTS).ungrounded).toBeNull();
  });

  it('one hop only finds the person: no place answers', () => {
    const run = place(DEFAULT_FACTS, { ...DEFAULT_SETUP, hops: 1 });
    expect(run.answer.place).toBeNull();
    expect(activeWords(run.hops[0].output)[0].word).toBe('John');
  });

  it.each([
    { name: 'unknown person', facts: ['Bob went to the kitchen'], question: DEFAULT_QUESTION, message: 'unknown person "Bob" in fact 1' },
    { name: 'unknown place', facts: ['John went to the moon'], question: DEFAULT_QUESTION, message: 'unknown place "moon" in fact 1' },
    { name: 'unknown object', facts: ['John picked up the piano'], question: DEFAULT_QUESTION, message: 'unknown object "piano"' },
    {
      name: 'unparseable fact',
      facts: ['John sat down'],
      question: DEFAULT_QUESTION,
      message: 'fact 1 ("John sat down") is not of the form',
    },
    { name: 'no facts', facts: ['', ' '], question: DEFAULT_QUESTION, message: 'there are no facts' },
    {
      name: 'unknown object in the question',
      facts: DEFAULT_FACTS,
      question: 'where is the piano?',
      message: 'unknown object "piano" in the question',
    },
    {
      name: 'unparseable question',
      facts: DEFAULT_FACTS,
      question: 'who has the ball',
      message: 'is not of the form "where is the OBJECT?"',
    },
  ])('$name', ({ facts, question, message }) => {
    expect(() => runFacts(facts, question)).toThrow(message);
  });
});
