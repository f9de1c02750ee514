/**
 * The key–value memory's worked example, built by construction rather than learned: short facts
 * ("John picked up the football", "John went to the kitchen") become memory slots and the question
 * "where is the football?" is answered in two hops.
 *
 * Every word of a small fixed vocabulary (people, objects, places) is one dimension (one-hot), d =
 * |people| + |objects| + |places|. A fact is one slot:
 *   PERSON picked up the OBJECT   key = OBJECT, value = PERSON   (who has it)
 *   PERSON went to the PLACE      key = PERSON, value = PLACE    (where they are)
 * The question "where is the OBJECT?" is q₁ = OBJECT.
 *   hop 1  q₁ matches the pickup fact, o₁ ≈ PERSON
 *   hop 2  q₂ = R (q₁ + o₁) ≈ PERSON (R keeps person and place dimensions and drops object ones),
 *          which matches that person's move facts, o₂ ≈ PLACE
 * Recency: fact j's key is (1 + j/4) times its word, so when one word heads several facts (John
 * went to two places) the later fact scores higher and wins. Sharpness: temperature 0.1 turns a
 * score gap of 1 into a logit gap of 10, so the right slot takes > 0.9 of the weight.
 * Why R: with q ← q + o, q₂ = OBJECT + PERSON still holds the object, so hop 2 is drawn back to the
 * pickup fact as strongly as to the move facts; which one wins then depends only on the order of
 * the facts (a pickup after the last move wins, and the answer is a person, not a place). R drops
 * the object, so hop 2 can only follow the person.
 */
import { InputError } from './errors';
import type { MemoryHop, MemoryProblem, MemoryUpdate } from './memory';
import { memoryReference } from './memory';
import type { Matrix } from './tensor';
import { matrix } from './tensor';

export const PEOPLE = ['John', 'Mary', 'Sandra', 'Daniel'] as const;
export const OBJECTS = ['football', 'apple', 'milk'] as const;
export const PLACES = ['kitchen', 'garden', 'office', 'hallway', 'bedroom', 'bathroom'] as const;
/** The vocabulary in dimension order: people, then objects, then places. */
export const VOCABULARY: readonly string[] = [...PEOPLE, ...OBJECTS, ...PLACES];
export const MAX_FACTS = 32;
/** How much longer each later fact's key is: fact j's key is (1 + RECENCY·j) times its word. */
export const RECENCY = 0.25;
export const DEFAULT_MEMORY_TEMPERATURE = 0.1;

export const DEFAULT_FACTS: readonly string[] = [
  'Mary went to the garden',
  'John went to the hallway',
  'John picked up the football',
  'Sandra picked up the apple',
  'John went to the kitchen',
  'Sandra went to the office',
];
export const DEFAULT_QUESTION = 'where is the football?';

export type FactKind = 'pickup' | 'move';
export interface Fact {
  kind: FactKind;
  text: string;
  /** The key's word (object or person) and the value's word (person or place). */
  key: string;
  value: string;
}

type Category = 'person' | 'object' | 'place';
const CATEGORY_WORDS: Record<Category, readonly string[]> = { person: PEOPLE, object: OBJECTS, place: PLACES };

/** The vocabulary word `word` is (any case), or an InputError naming it and what it should have been. */
function lookup(word: string, category: Category, where: string): string {
  const found = CATEGORY_WORDS[category].find((w) => w.toLowerCase() === word.toLowerCase());
  if (found) return found;
  throw new InputError(`unknown ${category} "${word}" in ${where}: the ${category} words are ${CATEGORY_WORDS[category].join(', ')}`);
}

const PICKUP = /^\s*(\S+)\s+(?:picked\s+up|took|grabbed|got)\s+the\s+(\S+?)\s*\.?\s*$/i;
const MOVE = /^\s*(\S+)\s+(?:went|moved|journeyed|travelled|traveled)\s+to\s+the\s+(\S+?)\s*\.?\s*$/i;
const QUESTION = /^\s*where\s+is\s+the\s+(\S+?)\s*\??\s*$/i;

/** One fact sentence, or an InputError naming the fact and the word it cannot place. */
export function parseFact(text: string, index: number): Fact {
  const where = `fact ${index + 1} ("${text.trim()}")`;
  const pickup = PICKUP.exec(text);
  if (pickup)
    return { kind: 'pickup', text: text.trim(), key: lookup(pickup[2], 'object', where), value: lookup(pickup[1], 'person', where) };
  const move = MOVE.exec(text);
  if (move) return { kind: 'move', text: text.trim(), key: lookup(move[1], 'person', where), value: lookup(move[2], 'place', where) };
  throw new InputError(`${where} is not of the form "PERSON picked up the OBJECT" or "PERSON went to the PLACE"`);
}

/** Facts one per line (blank lines skipped). */
export function parseFacts(lines: readonly string[]): Fact[] {
  const texts = lines.filter((line) => line.trim() !== '');
  if (texts.length === 0) throw new InputError('there are no facts: write at least one, e.g. "John went to the kitchen"');
  if (texts.length > MAX_FACTS) throw new InputError(`at most ${MAX_FACTS} facts, got ${texts.length}`);
  return texts.map(parseFact);
}

/** The object a question asks about. */
export function parseQuestion(text: string): string {
  const match = QUESTION.exec(text);
  if (!match) throw new InputError(`the question "${text.trim()}" is not of the form "where is the OBJECT?"`);
  return lookup(match[1], 'object', `the question ("${text.trim()}")`);
}

export function oneHot(word: string, scale = 1): Float32Array {
  const v = new Float32Array(VOCABULARY.length);
  v[VOCABULARY.indexOf(word)] = scale;
  return v;
}

/** The default R: keeps the person and place dimensions, zeroes the object ones (d×d, diagonal). */
export function defaultRotation(): Matrix {
  const d = VOCABULARY.length;
  const r = matrix(d, d);
  VOCABULARY.forEach((word, i) => {
    if (!(OBJECTS as readonly string[]).includes(word)) r.data[i * d + i] = 1;
  });
  return r;
}

export interface FactsSetup {
  hops: number;
  update: MemoryUpdate;
  /** null: defaultRotation(). */
  rotation: Matrix | null;
  temperature: number;
}

export const DEFAULT_SETUP: FactsSetup = { hops: 2, update: 'rotate', rotation: null, temperature: DEFAULT_MEMORY_TEMPERATURE };

/** The memory problem the facts and the question make (see the header). */
export function factsProblem(facts: readonly Fact[], object: string, setup: FactsSetup): MemoryProblem {
  const d = VOCABULARY.length;
  const keys = matrix(facts.length, d),
    values = matrix(facts.length, d);
  facts.forEach((fact, j) => {
    keys.data.set(oneHot(fact.key, 1 + RECENCY * j), j * d);
    values.data.set(oneHot(fact.value), j * d);
  });
  return {
    keys,
    values,
    query: matrix(1, d, oneHot(object)),
    hops: setup.hops,
    update: setup.update,
    rotation: setup.rotation ?? defaultRotation(),
    temperature: setup.temperature,
    scale: 'none',
  };
}

export interface PlaceScore {
  place: string;
  score: number;
}

export interface MemoryAnswer {
  /** Every place's entry in the final output, best first. */
  scores: PlaceScore[];
  /** The best place, or null when no place reaches 0.5 (the output names a person or nothing). */
  place: string | null;
}

/** The place word whose one-hot best matches the final output o_h (its dot product with it: that entry). */
export function answerOf(output: ArrayLike<number>): MemoryAnswer {
  const scores = PLACES.map((place) => ({ place: place as string, score: output[VOCABULARY.indexOf(place)] })).sort(
    (a, b) => b.score - a.score,
  );
  return { scores, place: scores[0].score >= 0.5 ? scores[0].place : null };
}

/** The vocabulary words active in a query or output (entries ≥ threshold), largest first, with their values. */
export function activeWords(vector: ArrayLike<number>, threshold = 0.05): { word: string; value: number }[] {
  return VOCABULARY.map((word, i) => ({ word, value: vector[i] }))
    .filter((w) => Math.abs(w.value) >= threshold)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
}

export interface FactsRun {
  facts: Fact[];
  object: string;
  problem: MemoryProblem;
  hops: MemoryHop[];
  answer: MemoryAnswer;
  /** Why the answer is not about the object (ungroundedNote), or null. */
  ungrounded: string | null;
}

/**
 * Why an answer says nothing about the object, or null: when no fact says who picked it up, the
 * question's one-hot meets no key, every hop-1 score is 0, and the softmax still spreads all its
 * weight over the facts (attention always attends somewhere), so the hops follow those facts.
 */
export function ungroundedNote(facts: readonly Fact[], object: string): string | null {
  if (facts.some((fact) => fact.kind === 'pickup' && fact.key === object)) return null;
  return `no fact says who picked up the ${object}: hop 1 scores every fact 0, and the softmax still spreads all its weight over them (attention always attends somewhere), so this answer is not about the ${object}`;
}

/** Parses, builds and runs the float64 reference: the whole example from its text. */
export function runFacts(factLines: readonly string[], question: string, setup: FactsSetup = DEFAULT_SETUP): FactsRun {
  const facts = parseFacts(factLines);
  const object = parseQuestion(question);
  const problem = factsProblem(facts, object, setup);
  const hops = memoryReference(problem);
  return { facts, object, problem, hops, answer: answerOf(hops[hops.length - 1].output), ungrounded: ungroundedNote(facts, object) };
}
