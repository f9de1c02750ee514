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

/** The score a head must reach to be labelled with a role (the targets of issue 13). */
export const ROLE_THRESHOLDS: Record<HeadRoleName, number> = { antecedent: 0.9, 'previous-token': 0.9, induction: 0.5 };

const ROLE_SCORE: Record<HeadRoleName, keyof Pick<HeadRoleScores, 'previousToken' | 'induction' | 'antecedent'>> = {
  antecedent: 'antecedent',
  'previous-token': 'previousToken',
  induction: 'induction',
};

/**
 * The role a head is labelled with: among the roles whose score passes its threshold (antecedent
 * ≥ 0.9, previous-token ≥ 0.9, induction ≥ 0.5), the one that passes it by the widest margin; null
 * when none does.
 */
export function headRoleLabel(scores: HeadRoleScores): HeadRoleName | null {
  let best: HeadRoleName | null = null;
  let margin = -Infinity;
  for (const role of Object.keys(ROLE_THRESHOLDS) as HeadRoleName[]) {
    const over = scores[ROLE_SCORE[role]] - ROLE_THRESHOLDS[role];
    if (over >= 0 && over > margin) {
      best = role;
      margin = over;
    }
  }
  return best;
}

/** A head's measured scores, if the roles list it. */
export function headRoleScores(roles: ModelRoles | null, layer: number, head: number): HeadRoleScores | null {
  return roles?.heads.find((h) => h.layer === layer && h.head === head) ?? null;
}
