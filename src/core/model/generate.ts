/**
 * Choosing the next token from a step's logits: greedy (the most likely) or top-k sampling (one of
 * the k most likely, drawn by their renormalised probabilities from a seeded generator, so a
 * generation can be reproduced from its seed). The n-th generated token uses the n-th number of
 * the seed's sequence, so its draw does not depend on how the generation was split into presses.
 */
import { createRng } from '../rng';
import { topK } from './forward';

export type Sampling = { kind: 'greedy' } | { kind: 'top-k'; k: number; seed: number };

/** The id of the next token; `index` is how many tokens were generated before it. */
export function pickNextToken(logits: ArrayLike<number>, sampling: Sampling, index: number): number {
  if (sampling.kind === 'greedy') return topK(logits, 1)[0].id;
  const top = topK(logits, Math.max(1, Math.min(sampling.k, logits.length)));
  const total = top.reduce((sum, t) => sum + t.probability, 0);
  // The index-th number of one seeded sequence (generators seeded with neighbouring seeds start alike).
  const rng = createRng(sampling.seed);
  let uniform = rng.next();
  for (let i = 0; i < index; i++) uniform = rng.next();
  let draw = uniform * total;
  for (const t of top) {
    draw -= t.probability;
    if (draw < 0) return t.id;
  }
  return top[top.length - 1].id;
}
