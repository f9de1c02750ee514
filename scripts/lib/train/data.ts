/**
 * The built-in model's training text, generated from templates and a seed.
 *
 * Two kinds of sequence, each starting with the BOS token "<s>":
 *
 * - Stories: sentences "the A VERB the N because it PREDICATE ." packed up to the context length.
 *   Which noun "it" is depends on the verb (implicit causality): after a subject verb ("sat on",
 *   "did not cross", …) it is the subject A, after an object verb ("chased", "could not cross",
 *   "liked", …) it is the object N. Every noun has its own predicates ("purred", "was soft"), so the
 *   word after "it" can be predicted only by a model that has found the antecedent — in a causal
 *   model, by attending back to it from the pronoun. Subjects are animals; each verb takes one class
 *   of object (animals, things, crossable things), and both kinds of verb take animals and things,
 *   so animacy alone does not decide. The object's class is known from the word before "the", which
 *   rewards a head that reads the previous token.
 * - Repeats: a random span of distinct words, then the same span again (and again, to fill the
 *   context); the copies are predictable only by copying (induction).
 *
 * Held out: a seeded fifth of the (subject, object) pairs never appears in a training story; the
 * held-out stories use only those pairs, and the held-out repeats come from a separate random stream
 * (and are checked against the training ones).
 */
import { createRng } from '../../../src/core/rng';
import type { Rng } from '../../../src/core/rng';

export const BOS = '<s>';
export const EOS = '</s>';
export const UNK = '[UNK]';
export const SPECIALS = [BOS, EOS, UNK] as const;

interface NounEntry {
  /** Predicates of "it" when this noun is the antecedent, each one or more words. */
  predicates: string[];
}

/** Animals: they can be subjects, and have predicates of their own. */
export const ANIMALS: Record<string, NounEntry> = {
  cat: { predicates: ['purred', 'meowed', 'was warm'] },
  dog: { predicates: ['barked', 'growled', 'was excited'] },
  animal: { predicates: ['was tired', 'was scared', 'rested'] },
  bird: { predicates: ['sang', 'chirped', 'was small'] },
  horse: { predicates: ['neighed', 'galloped', 'was strong'] },
  cow: { predicates: ['mooed', 'grazed', 'was calm'] },
  duck: { predicates: ['quacked', 'swam', 'was wet'] },
  frog: { predicates: ['croaked', 'hopped', 'was green'] },
  owl: { predicates: ['hooted', 'blinked', 'was wise'] },
  lion: { predicates: ['roared', 'yawned', 'was proud'] },
  sheep: { predicates: ['bleated', 'wandered', 'was woolly'] },
  mouse: { predicates: ['squeaked', 'hid', 'was tiny'] },
  bee: { predicates: ['buzzed', 'stung', 'was busy'] },
  wolf: { predicates: ['howled', 'prowled', 'was hungry'] },
  pig: { predicates: ['oinked', 'snorted', 'was muddy'] },
  snake: { predicates: ['hissed', 'slithered', 'was long'] },
};

/** Things: objects only. */
export const THINGS: Record<string, NounEntry> = {
  mat: { predicates: ['was soft', 'was flat', 'slipped'] },
  street: { predicates: ['was too wide', 'was crowded', 'curved'] },
  ball: { predicates: ['was bouncing', 'bounced', 'rolled'] },
  box: { predicates: ['was heavy', 'was empty', 'opened'] },
  river: { predicates: ['was deep', 'flooded', 'flowed'] },
  road: { predicates: ['was icy', 'was narrow', 'ended'] },
  hill: { predicates: ['was steep', 'was high', 'loomed'] },
  cup: { predicates: ['was full', 'spilled', 'cracked'] },
  door: { predicates: ['creaked', 'slammed', 'was locked'] },
  bell: { predicates: ['rang', 'chimed', 'was loud'] },
  tree: { predicates: ['swayed', 'fell', 'was tall'] },
  car: { predicates: ['honked', 'stalled', 'was fast'] },
  boat: { predicates: ['sank', 'floated', 'was leaking'] },
  fence: { predicates: ['was broken', 'wobbled', 'was sharp'] },
  fire: { predicates: ['was hot', 'burned', 'crackled'] },
  bridge: { predicates: ['was shaking', 'swung', 'was old'] },
};

type ObjectClass = 'animal' | 'thing' | 'crossable';
/** Things an animal can cross. */
const CROSSABLE = ['street', 'river', 'road', 'bridge'];

/**
 * "it" is the subject after these (the reason lies with the one who acts). Each verb takes one class
 * of object (the word before "the" says which), so a head that reads the previous token pays off.
 */
export const SUBJECT_VERBS: Record<string, ObjectClass> = {
  'sat on': 'thing',
  'slept on': 'thing',
  'jumped over': 'thing',
  'did not cross': 'crossable',
  'ran past': 'animal',
  'stayed near': 'animal',
  'walked around': 'animal',
  'waited by': 'animal',
};
/** "it" is the object after these (the reason lies with what is acted on). */
export const OBJECT_VERBS: Record<string, ObjectClass> = {
  chased: 'animal',
  feared: 'animal',
  watched: 'animal',
  followed: 'animal',
  liked: 'thing',
  avoided: 'thing',
  noticed: 'thing',
  'could not cross': 'crossable',
};
const MODIFIERS = ['big', 'little', 'brown', 'grey', 'young', 'white'];

export const NOUNS = [...Object.keys(ANIMALS), ...Object.keys(THINGS)];
const PREDICATES: Record<string, string[]> = Object.fromEntries(
  Object.entries({ ...ANIMALS, ...THINGS }).map(([noun, entry]) => [noun, entry.predicates]),
);

/** Every word a sequence may hold, in a fixed order: specials first, then the vocabulary sorted. */
export function vocabulary(): string[] {
  const words = new Set<string>(['the', 'because', 'it', '.', ...MODIFIERS]);
  for (const phrase of [...NOUNS, ...Object.keys(SUBJECT_VERBS), ...Object.keys(OBJECT_VERBS), ...Object.values(PREDICATES).flat()])
    for (const w of phrase.split(' ')) words.add(w);
  return [...SPECIALS, ...[...words].sort()];
}

/** The words a repeat draws its random spans from: everything but the specials and ".". */
function contentWords(): string[] {
  return vocabulary().filter((w) => !(SPECIALS as readonly string[]).includes(w) && w !== '.');
}

export interface Story {
  words: string[];
  /** Index in `words` of "it" and of its antecedent noun. */
  pronoun: number;
  antecedent: number;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];

const OBJECTS: Record<ObjectClass, string[]> = {
  animal: Object.keys(ANIMALS),
  thing: Object.keys(THINGS),
  crossable: CROSSABLE,
};

/** One sentence "the [mod] A VERB the [mod] N because it PREDICATE ." for a given subject, verb and object. */
export function storySentence(rng: Rng, subject: string, verb: string, object: string): Story {
  const objectBiased = verb in OBJECT_VERBS;
  const words: string[] = ['the'];
  if (rng.next() < 0.3) words.push(pick(rng, MODIFIERS));
  const subjectAt = words.length;
  words.push(subject);
  words.push(...verb.split(' '), 'the');
  if (rng.next() < 0.3) words.push(pick(rng, MODIFIERS));
  const objectAt = words.length;
  words.push(object, 'because');
  const pronoun = words.length;
  words.push('it');
  const antecedentNoun = objectBiased ? object : subject;
  words.push(...pick(rng, PREDICATES[antecedentNoun]).split(' '), '.');
  return { words, pronoun, antecedent: objectBiased ? objectAt : subjectAt };
}

const pairKey = (subject: string, object: string) => `${subject}>${object}`;

/** The (subject, object) pairs kept out of training: a seeded fifth of them, never a noun with itself. */
export function heldOutPairs(seed: number): Set<string> {
  const rng = createRng(seed ^ 0x5eed);
  const held = new Set<string>();
  for (const subject of Object.keys(ANIMALS))
    for (const object of NOUNS) if (subject !== object && rng.next() < 0.2) held.add(pairKey(subject, object));
  return held;
}

const VERBS = [...Object.keys(SUBJECT_VERBS), ...Object.keys(OBJECT_VERBS)];

/** A subject, a verb and an object of the verb's class whose pair is held out (or not). */
function randomClause(rng: Rng, held: Set<string>, wantHeld: boolean): [string, string, string] {
  const animals = Object.keys(ANIMALS);
  const verb = pick(rng, VERBS);
  const objects = OBJECTS[SUBJECT_VERBS[verb] ?? OBJECT_VERBS[verb]];
  for (;;) {
    const subject = pick(rng, animals);
    const object = pick(rng, objects);
    if (subject !== object && held.has(pairKey(subject, object)) === wantHeld) return [subject, verb, object];
  }
}

export interface Sequence {
  kind: 'story' | 'repeat';
  /** Words, BOS first, at most the context length. */
  words: string[];
  /** Stories: each complete sentence's pronoun and antecedent (indices into `words`). */
  links: { pronoun: number; antecedent: number }[];
  /** Repeats: the first copy starts at 1 and is `span` words long; copies follow it to the end. */
  span: number;
}

/** BOS, then sentences of training (or held-out) pairs until the context is full (the last one may be cut). */
function story(rng: Rng, context: number, held: Set<string>, wantHeld: boolean): Sequence {
  const words = [BOS];
  const links: Sequence['links'] = [];
  while (words.length < context) {
    const [subject, verb, object] = randomClause(rng, held, wantHeld);
    const s = storySentence(rng, subject, verb, object);
    const offset = words.length;
    words.push(...s.words);
    if (offset + s.words.length <= context) links.push({ pronoun: offset + s.pronoun, antecedent: offset + s.antecedent });
  }
  return { kind: 'story', words: words.slice(0, context), links, span: 0 };
}

/** BOS, a span of distinct random words, then the span again and again until the context is full. */
function repeat(rng: Rng, context: number, minSpan = 4, maxSpan = 20): Sequence {
  const pool = contentWords();
  const span = minSpan + Math.floor(rng.next() * (maxSpan - minSpan + 1));
  const chosen: string[] = [];
  const used = new Set<number>();
  while (chosen.length < span) {
    const i = Math.floor(rng.next() * pool.length);
    if (!used.has(i)) {
      used.add(i);
      chosen.push(pool[i]);
    }
  }
  const words = [BOS];
  while (words.length < context) words.push(chosen[(words.length - 1) % span]);
  return { kind: 'repeat', words, links: [], span };
}

export interface DataOptions {
  seed: number;
  context: number;
  /** Share of training sequences that are repeats. */
  repeatShare: number;
}

/** Training sequences, an endless deterministic stream per seed. */
export function trainingStream(options: DataOptions): () => Sequence {
  const rng = createRng(options.seed);
  const held = heldOutPairs(options.seed);
  return () => (rng.next() < options.repeatShare ? repeat(rng, options.context) : story(rng, options.context, held, false));
}

/** Held-out stories (only held-out pairs) and repeats (from their own stream), disjoint from `trainingStream`'s. */
export function heldOutSet(options: DataOptions, stories: number, repeats: number): { stories: Sequence[]; repeats: Sequence[] } {
  const rng = createRng(options.seed + 7919);
  const held = heldOutPairs(options.seed);
  return {
    stories: Array.from({ length: stories }, () => story(rng, options.context, held, true)),
    repeats: Array.from({ length: repeats }, () => repeat(rng, options.context)),
  };
}

/** The sentences of a story sequence (split at "."), for checking that held-out ones are new. */
export function sentencesOf(seq: Sequence): string[] {
  const out: string[] = [];
  let current: string[] = [];
  for (const w of seq.words.slice(1)) {
    current.push(w);
    if (w === '.') {
      out.push(current.join(' '));
      current = [];
    }
  }
  return out;
}

/** A one-line description of the data for training.json and the docs. */
export function describeData(options: DataOptions): string {
  return (
    `${Math.round((1 - options.repeatShare) * 100)}% stories: BOS then sentences "the A VERB the N because it PREDICATE ." ` +
    `packed to ${options.context} tokens; ${Object.keys(ANIMALS).length} animals as subjects, objects of the class the verb takes ` +
    `(animals, things, crossable things); "it" = subject after ${Object.keys(SUBJECT_VERBS).length} subject verbs (sat on, did not cross, ran past, …), ` +
    `= object after ${Object.keys(OBJECT_VERBS).length} object verbs (chased, liked, could not cross, …); each noun has its own ` +
    `predicates after "it". ${Math.round(options.repeatShare * 100)}% repeats: BOS, a span of 4–20 ` +
    `distinct random words, repeated to fill the context. Held out: a seeded fifth of the (subject, object) pairs.`
  );
}
