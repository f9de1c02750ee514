/**
 * Reads a kernel's entry point, bindings, `Params` struct and constants with wgsl_reflect and
 * explains any mismatch with the interface (./interface.ts) in words.
 */
import type { TypeInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import { StructInfo, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { StageSpec } from './interface';
import type { FeatureName } from '../core/features';
import { FEATURE_INFO, FEATURE_NAMES } from '../core/features';
import type { ScoreFunction } from '../core/options';
import { PARAMS_BYTES, PARAMS_FIELDS } from './interface';

export const ENTRY_POINT = 'main';

export interface KernelShape {
  workgroupSize: [number, number, number];
  /**
   * Outputs each invocation computes along x and y: the module-scope constants
   * `OUTPUTS_PER_INVOCATION_X` / `_Y` (1 when not declared). Stages whose grid is an output tile
   * (qk, pv, project) dispatch ⌈size / (workgroup size · outputs per invocation)⌉ workgroups.
   */
  outputsPerInvocation: [number, number];
  /** Names of the module's pipeline-overridable constants (`override` declarations). */
  overrides: string[];
  /** The features the kernel declares it implements (`const SUPPORTS_WINDOW = true;` …). */
  supports: FeatureName[];
  /**
   * A capability of the kernel, not a feature of the operator: a fused kernel that declares
   * `const SUPPORTS_KEY_SPLITS = true;` runs with key splits (split-KV: grid y, partials, the
   * combine stage); without it a run always uses one split and the kernel writes `out` itself.
   */
  supportsKeySplits: boolean;
  /**
   * The score function a qk kernel computes: `const SCORES_GENERAL = true;` or
   * `const SCORES_ADDITIVE = true;` (SCORE_CONSTANTS), 'dot' without either. The engine runs a
   * kernel only for the score function it declares.
   */
  scores: ScoreFunction;
  /**
   * A softmax-stage kernel that declares `const ELEMENTWISE_ACTIVATION = true;` applies φ elementwise
   * (options.activation 'relu' | 'gelu', chosen by FLAG_RELU / FLAG_GELU) instead of a softmax; the
   * engine runs only such a kernel when the activation is not softmax, and never one for softmax.
   */
  elementwiseActivation: boolean;
}

/** The constants a kernel declares its learned score function with (none: dot). */
export const SCORE_CONSTANTS = { general: 'SCORES_GENERAL', additive: 'SCORES_ADDITIVE' } as const;

/** The constant a fused kernel declares to run with key splits. */
export const KEY_SPLITS_CONSTANT = 'SUPPORTS_KEY_SPLITS';

/** The constant a softmax-stage kernel declares when it applies an elementwise activation instead. */
export const ELEMENTWISE_CONSTANT = 'ELEMENTWISE_ACTIVATION';

interface DeclaredBinding {
  name: string;
  group: number;
  binding: number;
  kind: string;
}

function declaredBindings(reflect: WgslReflect): DeclaredBinding[] {
  const uniforms = reflect.uniforms.map((u) => ({ name: u.name, group: u.group, binding: u.binding, kind: 'uniform' }));
  const storage = reflect.storage.map((s) => ({
    name: s.name,
    group: s.group,
    binding: s.binding,
    kind: s.access === 'read' ? 'read-only-storage' : s.access === 'read_write' ? 'storage' : `storage (${s.access})`,
  }));
  return [...uniforms, ...storage];
}

/** Module-scope constants that declare how many outputs one invocation computes along x and y. */
const OUTPUT_BLOCK_CONSTANTS = ['OUTPUTS_PER_INVOCATION_X', 'OUTPUTS_PER_INVOCATION_Y'] as const;

/**
 * The value of a module-scope `const`, as wgsl_reflect evaluated it (literals and constant
 * expressions of other constants); undefined when the module does not declare it.
 */
function moduleConstant(reflect: WgslReflect, name: string): number | undefined {
  // wgsl_reflect 1.6 keeps the evaluated module constants in a map it does not type publicly;
  // tests/output-blocking.test.ts fails if an upgrade moves it.
  const values = (reflect as unknown as { _constValues?: Map<string, unknown> })._constValues;
  const value = values?.get(name);
  return typeof value === 'number' ? value : undefined;
}

/** A module-scope constant of a kernel source (see moduleConstant); undefined when absent or unreadable. */
export function moduleConstantOf(source: string, name: string): number | undefined {
  try {
    return moduleConstant(new WgslReflect(source), name);
  } catch {
    return undefined;
  }
}

/** The packed Params layout in words, for messages: "n: u32 @0, m: u32 @4, …". */
const PARAMS_WORDS = PARAMS_FIELDS.map((f) => `${f.name}: ${f.type} @${f.offset}`).join(', ');

/**
 * The uniform struct a kernel declares, member by member, against the Params the engine packs: each
 * member must be the field packed at its byte offset, with that field's name and type. A prefix of
 * the struct is enough; a misordered, mistyped or extra member is named with both offsets.
 */
function paramsProblems(name: string, type: TypeInfo): string[] {
  if (!(type instanceof StructInfo)) {
    return [
      `${name} at @binding(0) must be a struct with the fields of Params (${PARAMS_WORDS}), but it is declared as ${type.getTypeName()}`,
    ];
  }
  const problems: string[] = [];
  for (const member of type.members) {
    const declared = member.type.getTypeName();
    const where = `${type.name}.${member.name}: ${declared} is at byte offset ${member.offset}`;
    const expected = PARAMS_FIELDS.find((f) => f.offset === member.offset);
    const own = PARAMS_FIELDS.find((f) => f.name === member.name);
    if (!expected) {
      problems.push(`${where}, but the engine packs nothing there (Params is ${PARAMS_BYTES} bytes)`);
    } else if (expected.name !== member.name) {
      problems.push(
        `${where}, where the engine packs ${expected.name}: ${expected.type}; ${own ? `${own.name} belongs at offset ${own.offset}` : `Params has no field ${member.name}`}`,
      );
    } else if (declared !== expected.type) {
      problems.push(`${where}, but the engine packs ${expected.name} there as ${expected.type}`);
    }
  }
  if (problems.length > 0)
    problems.push(`the engine packs Params as ${PARAMS_WORDS}; a kernel may declare a prefix of it, with these names and types`);
  return problems;
}

const KIND_WORDS: Record<string, string> = {
  uniform: 'var<uniform>',
  'read-only-storage': 'var<storage, read>',
  storage: 'var<storage, read_write>',
};

/** Problems with the kernel's interface in plain words; an empty list means it fits. */
export function interfaceProblems(source: string, stage: StageSpec): { problems: string[]; shape: KernelShape | null } {
  let reflect: WgslReflect;
  try {
    reflect = new WgslReflect(source);
  } catch (error) {
    return { problems: [`the reflection parser could not read the kernel: ${(error as Error).message}`], shape: null };
  }
  const problems: string[] = [];
  const entry = reflect.entry.compute.find((e) => e.name === ENTRY_POINT);
  if (!entry) {
    const names = reflect.entry.compute.map((e) => e.name);
    problems.push(
      `there is no @compute fn ${ENTRY_POINT}()${names.length ? ` (found ${names.join(', ')}); rename the entry point to ${ENTRY_POINT}` : ''}`,
    );
  }
  const declared = declaredBindings(reflect);
  for (const b of declared) {
    if (b.group !== 0) problems.push(`${b.name} is in @group(${b.group}); every binding of this stage is in @group(0)`);
  }
  for (const spec of stage.bindings) {
    const found = declared.find((b) => b.group === 0 && b.binding === spec.binding);
    if (!found) continue; // an unused binding is allowed: the explicit layout still provides it
    if (found.kind !== spec.kind) {
      problems.push(
        `@binding(${spec.binding}) must be ${KIND_WORDS[spec.kind]} ${spec.name}, but ${found.name} is declared as ${KIND_WORDS[found.kind] ?? found.kind}`,
      );
    } else if (spec.name === 'params') {
      const uniform = reflect.uniforms.find((u) => u.group === 0 && u.binding === spec.binding);
      if (uniform) problems.push(...paramsProblems(uniform.name, uniform.type));
    }
  }
  for (const b of declared) {
    if (b.group === 0 && !stage.bindings.some((s) => s.binding === b.binding)) {
      const allowed = stage.bindings.map((s) => `${s.binding} (${s.name})`).join(', ');
      problems.push(`@binding(${b.binding}) ${b.name} is not part of the ${stage.name} stage; its bindings are ${allowed}`);
    }
  }
  const size = entry?.workgroupSize;
  if (entry && !size)
    problems.push(`the @workgroup_size of ${ENTRY_POINT} must be made of constants, so the engine can compute the dispatch`);
  const overrides = reflect.overrides.map((o) => o.name);
  const outputsPerInvocation = OUTPUT_BLOCK_CONSTANTS.map((name) => {
    const value = moduleConstant(reflect, name);
    if (value === undefined) return 1;
    if (!Number.isInteger(value) || value < 1) {
      problems.push(`${name} must be a positive integer constant, but it is ${value}`);
      return 1;
    }
    if (value !== 1 && !stage.outputBlocking) {
      problems.push(
        `${name} = ${value}: the ${stage.name} stage has no per-invocation output blocks (only qk, pv and project do); remove it or set it to 1`,
      );
    }
    return value;
  }) as [number, number];
  const supports = FEATURE_NAMES.filter((feature) => {
    const constant = FEATURE_INFO[feature].supportConstant;
    return constant !== null && moduleConstant(reflect, constant) === 1;
  });
  const declaredScores = (Object.keys(SCORE_CONSTANTS) as (keyof typeof SCORE_CONSTANTS)[]).filter(
    (score) => moduleConstant(reflect, SCORE_CONSTANTS[score]) === 1,
  );
  if (declaredScores.length > 1)
    problems.push(
      `a kernel computes one score function, but this one declares ${declaredScores.map((x) => SCORE_CONSTANTS[x]).join(' and ')}`,
    );
  return {
    problems,
    shape: size
      ? {
          workgroupSize: [size[0], size[1] ?? 1, size[2] ?? 1],
          outputsPerInvocation,
          overrides,
          supports,
          supportsKeySplits: moduleConstant(reflect, KEY_SPLITS_CONSTANT) === 1,
          scores: declaredScores[0] ?? 'dot',
          elementwiseActivation: moduleConstant(reflect, ELEMENTWISE_CONSTANT) === 1,
        }
      : null,
  };
}
