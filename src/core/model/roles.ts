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
