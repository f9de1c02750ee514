/**
 * What each head of a trained model learned, measured on held-out sentences the model never saw,
 * and written beside its weights (roles.json). The page labels heads with these roles.
 */
export type HeadRoleName = 'previous-token' | 'induction' | 'antecedent';

export interface HeadRoleScores {
  layer: number;
  head: number;
  /** Mean attention weight (or the share of rows whose strongest key is i − 1), see `method`. */
  previousToken: number;
  induction: number;
  antecedent: number;
}

export interface ModelRoles {
  /** How each score is defined, in a sentence each, for the page and the README. */
  method: Record<HeadRoleName, string>;
  /** Held-out sentences (or sequences) each score was measured on. */
  heldOut: Record<HeadRoleName, number>;
  heads: HeadRoleScores[];
}

/**
 * One head's attention probabilities over one sequence: row i is query position i, column j key
 * position j (n × n, causal rows sum to 1 over j ≤ i). Either rows or one flat row-major array.
 */
export type AttentionPattern = readonly ArrayLike<number>[] | Float64Array | Float32Array;

/** How many of the rows a score looks at had their strongest key where the role says. */
export interface RoleCount {
  hits: number;
  total: number;
}

/** What a head's score must reach for its role label, in the order roles are tried. */
export const ROLE_THRESHOLDS: readonly { role: HeadRoleName; key: 'antecedent' | 'previousToken' | 'induction'; min: number }[] = [
  { role: 'antecedent', key: 'antecedent', min: 0.9 },
  { role: 'previous-token', key: 'previousToken', min: 0.9 },
  { role: 'induction', key: 'induction', min: 0.5 },
];

/** Row i of the pattern as an indexable array. */
function rowOf(pattern: AttentionPattern, i: number): ArrayLike<number> {
  if (pattern instanceof Float64Array || pattern instanceof Float32Array) {
    const n = Math.round(Math.sqrt(pattern.length));
    if (n * n !== pattern.length) throw new RangeError(`a flat attention pattern must hold n² values, got ${pattern.length}`);
    return pattern.subarray(i * n, (i + 1) * n);
  }
  return pattern[i];
}

function sizeOf(pattern: AttentionPattern): number {
  return pattern instanceof Float64Array || pattern instanceof Float32Array ? Math.round(Math.sqrt(pattern.length)) : pattern.length;
}

/** The key position with the largest weight in row `row` among keys from..row (causal); ties go to the earliest. */
export function strongestKey(pattern: AttentionPattern, row: number, from = 0): number {
  const r = rowOf(pattern, row);
  let best = from;
  for (let j = from + 1; j <= row && j < r.length; j++) if (r[j] > r[best]) best = j;
  return best;
}

/** Rows i ≥ 1 whose strongest key (BOS included) is i − 1. */
export function previousTokenCount(pattern: AttentionPattern): RoleCount {
  const n = sizeOf(pattern);
  let hits = 0;
  for (let i = 1; i < n; i++) if (strongestKey(pattern, i) === i - 1) hits++;
  return { hits, total: Math.max(0, n - 1) };
}

/**
 * A sequence whose positions start … start+span−1 are repeated at start+span … start+2·span−1: rows
 * of the second copy whose strongest key (BOS included) is the token right after the same token's
 * earlier occurrence (position i − span + 1).
 */
export function inductionCount(pattern: AttentionPattern, repeat: { start: number; span: number }): RoleCount {
  const n = sizeOf(pattern);
  let hits = 0;
  let total = 0;
  for (let i = repeat.start + repeat.span; i < Math.min(n, repeat.start + 2 * repeat.span); i++) {
    total++;
    if (strongestKey(pattern, i) === i - repeat.span + 1) hits++;
  }
  return { hits, total };
}

/** Pronoun rows whose strongest key, position 0 (BOS) left out, is the pronoun's antecedent noun. */
export function antecedentCount(pattern: AttentionPattern, links: readonly { pronoun: number; antecedent: number }[]): RoleCount {
  let hits = 0;
  for (const { pronoun, antecedent } of links) if (strongestKey(pattern, pronoun, 1) === antecedent) hits++;
  return { hits, total: links.length };
}

/** hits / total over many sequences (0 when there was nothing to count). */
export function shareOf(counts: readonly RoleCount[]): number {
  const hits = counts.reduce((a, c) => a + c.hits, 0);
  const total = counts.reduce((a, c) => a + c.total, 0);
  return total === 0 ? 0 : hits / total;
}

export const previousTokenScore = (pattern: AttentionPattern): number => shareOf([previousTokenCount(pattern)]);
export const inductionScore = (pattern: AttentionPattern, repeat: { start: number; span: number }): number =>
  shareOf([inductionCount(pattern, repeat)]);
export const antecedentScore = (pattern: AttentionPattern, links: readonly { pronoun: number; antecedent: number }[]): number =>
  shareOf([antecedentCount(pattern, links)]);

/** The role whose score reaches its threshold, tried antecedent (≥ 0.9), previous-token (≥ 0.9), induction (≥ 0.5); null for none. */
export function headRoleLabel(scores: Pick<HeadRoleScores, 'previousToken' | 'induction' | 'antecedent'>): HeadRoleName | null {
  for (const { role, key, min } of ROLE_THRESHOLDS) if (scores[key] >= min) return role;
  return null;
}

/** The `method` sentences of roles.json for the scores above. */
export const ROLE_METHOD: Record<HeadRoleName, string> = {
  'previous-token': 'Share of rows i ≥ 1 (BOS included as a key) whose strongest key is i − 1, over held-out stories and repeats.',
  induction:
    'On held-out sequences BOS + a span of distinct random words + the same span: share of second-copy rows whose strongest key is the token right after the earlier occurrence of the current token.',
  antecedent:
    'On held-out story sentences (subject/object pairs never trained on): share of rows at the pronoun "it" whose strongest key, BOS left out, is the antecedent noun.',
};

/** A head's measured scores, if the roles list it. */
export function headRoleScores(roles: ModelRoles | null, layer: number, head: number): HeadRoleScores | null {
  return roles?.heads.find((h) => h.layer === layer && h.head === head) ?? null;
}
