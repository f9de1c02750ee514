/**
 * The one description of attention's stages and the tensors they write. Everything else — the
 * engine's stage table, the verifier, the saved state, the page's headings and the CLIs — derives
 * its names, titles and order from here.
 *
 *   [rope → rotated Q, K] → qk → scores (h×n×m, masked) → softmax → probs (h×n×m) → pv → output (n×(h·dv)) → project → projected
 *   fused computes output straight from Q, K, V with an online softmax (no scores or probs in memory);
 *   with key splits it writes partial softmaxes that combine merges into output.
 *   rope runs first, whatever the variant, when the options turn RoPE on; project last when W_o is given.
 */

/**
 * The tensors a run can read back; `rotated` are Q and K after RoPE, `scores` the masked scores the
 * qk stage writes.
 */
export type TensorName = 'rotated' | 'scores' | 'probs' | 'output' | 'projected';

/**
 * The reference's views of the scores: raw QKᵀ, scaled, after the logit softcap (`capped`), the
 * ALiBi bias on its own (`bias`), and masked (capped + bias, −∞ where hidden).
 */
export type ScoreView = 'raw' | 'scaled' | 'capped' | 'bias' | 'masked';

/** Everything the page can show as a heatmap, in the order the operator computes it. */
export type ViewName = ScoreView | Exclude<TensorName, 'scores'>;

export const VIEW_TITLES: Readonly<Record<ViewName, string>> = {
  rotated: 'Q and K after RoPE',
  raw: 'Raw scores QKᵀ',
  scaled: 'Scaled scores',
  capped: 'Softcapped scores',
  bias: 'ALiBi bias',
  masked: 'Masked scores',
  probs: 'Attention weights',
  output: 'Output',
  projected: 'Output · W_o',
};

export const TENSOR_TITLES: Readonly<Record<TensorName, string>> = {
  rotated: VIEW_TITLES.rotated,
  scores: VIEW_TITLES.masked,
  probs: VIEW_TITLES.probs,
  output: VIEW_TITLES.output,
  projected: VIEW_TITLES.projected,
};

/** The tensors in the order a run produces them. */
export const TENSOR_NAMES: readonly TensorName[] = ['rotated', 'scores', 'probs', 'output', 'projected'];

export interface StageInfo {
  /** Heading in the page and the CLIs ("QKᵀ scores"). */
  readonly title: string;
  /** Tab label ("QKᵀ"). */
  readonly shortTitle: string;
  /** The tensor the stage writes. */
  readonly writes: TensorName;
  /**
   * Whether the verifier checks the stage on its own (its output against the reference computed
   * from the stage's own GPU input: the projection of the GPU's own output O, for example).
   */
  readonly verified: boolean;
}

/**
 * Every kernel stage, in the order a run executes those it uses: rope (when RoPE is on) first, the
 * three-pass variants run qk → softmax → pv, the fused variant runs fused (and combine, when the run
 * splits the keys: split-KV), and project (the optional output projection W_o) follows either.
 */
export const STAGE_INFO = {
  rope: { title: 'rotary position embedding (RoPE)', shortTitle: 'RoPE', writes: 'rotated', verified: true },
  qk: { title: 'QKᵀ scores', shortTitle: 'QKᵀ', writes: 'scores', verified: true },
  softmax: { title: 'row softmax', shortTitle: 'softmax', writes: 'probs', verified: true },
  pv: { title: 'P·V', shortTitle: 'P·V', writes: 'output', verified: true },
  fused: { title: 'fused attention (online softmax)', shortTitle: 'fused', writes: 'output', verified: true },
  // Verified together with fused: checking the fused stage runs fused and, with key splits, combine.
  combine: { title: 'split-KV combine', shortTitle: 'combine', writes: 'output', verified: false },
  project: { title: 'output projection (·W_o)', shortTitle: 'W_o', writes: 'projected', verified: true },
} as const satisfies Record<string, StageInfo>;

export type StageName = keyof typeof STAGE_INFO;

/** Every stage, in execution order. */
export const STAGE_NAMES = Object.keys(STAGE_INFO) as StageName[];

/** The stages the verifier checks alone. */
export type VerifiedStage = { [S in StageName]: (typeof STAGE_INFO)[S]['verified'] extends true ? S : never }[StageName];
export const VERIFIED_STAGES = STAGE_NAMES.filter((s): s is VerifiedStage => STAGE_INFO[s].verified);

export function isStageName(name: string): name is StageName {
  return Object.hasOwn(STAGE_INFO, name);
}

export function isVerifiedStage(name: string): name is VerifiedStage {
  return isStageName(name) && STAGE_INFO[name].verified;
}
