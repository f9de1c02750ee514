/**
 * Runs a compute kernel on wgsl_reflect's WGSL interpreter, every invocation of a workgroup in
 * barrier-delimited phases, and reports what a GPU would not show reliably and SwiftShader never
 * shows: data races on workgroup memory (and on storage written by more than one invocation),
 * out-of-bounds reads and writes, reads of workgroup memory no invocation of the workgroup wrote,
 * and barriers not reached by every invocation.
 *
 * Why not wgsl_reflect's own detectRaces: it compares every pair of accesses of a phase (a 16×16
 * workgroup staging tiles makes ~10⁹ pairs), treats `v[i]` of a vector as the whole vector (false
 * races between invocations writing neighbouring components), does not re-zero workgroup memory
 * between workgroups, and a store past the end of a buffer throws out of the interpreter. This
 * module reuses its interpreter (WgslDebug.stepStack) and scheduling idea, with its own memory
 * tracker: a per-word record of the phase's writer and readers, so each access costs O(1).
 *
 * Pure: no WebGPU, no DOM. The stage-aware entry point is src/gpu/hazards.ts.
 */
import { ArrayIndex, Call, ScalarData, StringExpr, TypedData, VectorData, WgslDebug } from 'wgsl_reflect/wgsl_reflect.module.js';

type Exec = Parameters<TypedData['setDataValue']>[0];
type Postfix = Parameters<TypedData['setDataValue']>[2];
type Context = Parameters<TypedData['setDataValue']>[3];
type Frame = ReturnType<WgslDebug['createStackFrame']>;
type TypeInfo = TypedData['typeInfo'];

export type AccessKind = 'read' | 'write';

/** One side of a race or a finding: which invocation, on which 1-based source line. */
export interface AccessSite {
  /** @builtin(workgroup_id). */
  workgroup: [number, number, number];
  /** @builtin(local_invocation_id). */
  local: [number, number, number];
  line: number;
  kind: AccessKind;
}

export interface Race {
  /** The `var<workgroup>` or storage buffer's name. */
  variable: string;
  /** 'read-write': one invocation reads what another writes in the same phase (either order). */
  kind: 'read-write' | 'write-write';
  /** 'workgroup': two invocations of one workgroup between two barriers; 'dispatch': two workgroups (never ordered). */
  scope: 'workgroup' | 'dispatch';
  /** The earlier access and the later one, in the interpreter's order. */
  a: AccessSite;
  b: AccessSite;
  /** Element (4-byte word) index of the first conflict. */
  element: number;
  /** Conflicting access pairs with these two lines (and kind, scope, variable). */
  count: number;
  /** Which of several problems the caller ran found it (src/gpu/hazards.ts sets it for all but the first). */
  problem?: string;
}

export interface OutOfBounds {
  buffer: string;
  /** Element (4-byte word) index of the first access past the end (or before the start). */
  index: number;
  /** Elements (4-byte words) the buffer holds. */
  length: number;
  site: AccessSite;
  count: number;
  problem?: string;
}

export interface UninitialisedRead {
  variable: string;
  /** Element (4-byte word) index of the first word read before any invocation of the workgroup wrote it. */
  index: number;
  site: AccessSite;
  count: number;
  problem?: string;
}

export interface BarrierDivergence {
  /** Line of the barrier some invocations wait at. */
  line: number;
  message: string;
  count: number;
  problem?: string;
}

export interface HazardBinding {
  data: ArrayBuffer;
  /** A `var<uniform>` binding (read only, not tracked). */
  uniform?: boolean;
}

export interface HazardRun {
  /** Workgroups to dispatch along x, y, z. */
  grid: readonly [number, number, number];
  /** Buffers of @group(0), by binding number. A storage binding's ArrayBuffer receives the kernel's writes. */
  bindings: Record<number, HazardBinding>;
  /** Values for `override` constants (others keep their defaults). */
  constants?: Record<string, number>;
  entryPoint?: string;
  /** Stops the run (reported in `incomplete`) after this many interpreter steps; default 20 million. */
  stepBudget?: number;
  /**
   * Stops the run after this many steps of one invocation; default 2 million. A loop that does not
   * end meets it long before the whole run's budget or the time limit (about 6 s here); a correct
   * kernel's invocation takes thousands (the built-in kernels at most ~3,000 on their problems, the examples ~10,000).
   */
  invocationStepBudget?: number;
  /** Stops the run after this much wall time; default 30 s. */
  timeLimitMs?: number;
  /** The limit a stop names when this run got only what was left of a larger one (default timeLimitMs). */
  statedLimitMs?: number;
}

export interface HazardReport {
  races: Race[];
  outOfBounds: OutOfBounds[];
  uninitialisedReads: UninitialisedRead[];
  barrierDivergence: BarrierDivergence[];
  /** Bytes of `var<workgroup>` memory the module declares, each variable rounded up to 16 bytes. */
  workgroupBytes: number;
  workgroupSize: [number, number, number];
  /** Workgroups and invocations actually run. */
  workgroups: number;
  invocations: number;
  steps: number;
  /** What the interpreter could not do: parse failures, unsupported constructs it logged, exceptions. */
  interpreterErrors: string[];
  /** Set when the run stopped early (step budget, time limit, parse error); findings cover what ran. */
  incomplete?: string;
  /**
   * Set when the run used up its step budget (deterministic, unlike the time limit): where the
   * invocation that was running then was, and the lines it ran in its last steps (a loop that
   * does not end runs them over and over).
   */
  outOfSteps?: OutOfSteps;
  /** The most steps one invocation ran (its whole run, barriers included). */
  maxInvocationSteps: number;
  ms: number;
}

export interface OutOfSteps {
  budget: number;
  /** 'invocation': one invocation ran `budget` steps; 'run': the whole run did. */
  of: 'invocation' | 'run';
  workgroup: [number, number, number];
  local: [number, number, number];
  /** The lines the invocation ran in its last steps, ascending. */
  lines: number[];
  problem?: string;
}

/** Steps at the end of the budget whose lines are kept, to name the loop that did not end. */
const LAST_STEPS = 10_000;

/** Interpreter steps a run may take before it stops as an endless loop (see HazardRun.stepBudget). */
export const DEFAULT_STEP_BUDGET = 20_000_000;
/** Interpreter steps one invocation may take (see HazardRun.invocationStepBudget). */
export const DEFAULT_INVOCATION_STEP_BUDGET = 2_000_000;

const BARRIERS = new Set(['workgroupBarrier', 'storageBarrier', 'textureBarrier']);
const MAX_EXAMPLES_PER_LIST = 50;

// ---------------------------------------------------------------------------------------------
// A fix for wgsl_reflect 1.6: assigning one component of a vector by index inside an array or a
// struct (`tile[e / 4u][e % 4u] = x`) logs "Type vec4f is not an array" and writes nothing. The
// built-in fused kernel does exactly that, so writes through an index into a vector are done here.

interface ComponentTarget {
  offset: number;
  array: 'f32' | 'i32' | 'u32';
}

const VECTOR_NAME = /^vec[234]([fiu])$/;

function scalarIndex(exec: Exec, index: unknown, context: Context): number | null {
  const value = index instanceof ScalarData ? index : exec.evalExpression(index as never, context);
  return value instanceof ScalarData ? value.value : null;
}

/** Where a path that ends in `[i]` on a vector writes, or null for every other path (left to the library). */
function vectorComponentTarget(data: TypedData, exec: Exec, postfix: Postfix, context: Context): ComponentTarget | null {
  // A cheap static look first: only paths with an index applied to a vector type are handled.
  let type: TypeInfo | null = data.typeInfo;
  let p: Postfix = postfix;
  let endsInVectorIndex = false;
  while (p && type) {
    const vector = VECTOR_NAME.exec(type.getTypeName());
    if (vector && p instanceof ArrayIndex && !p.postfix) {
      endsInVectorIndex = true;
      break;
    }
    type = stepType(type, p);
    p = p.postfix;
  }
  if (!endsInVectorIndex) return null;
  let offset = data.offset;
  type = data.typeInfo;
  for (p = postfix; p && type; p = p.postfix) {
    const vector = VECTOR_NAME.exec(type.getTypeName());
    if (vector) {
      const i = scalarIndex(exec, (p as ArrayIndex).index, context);
      if (i === null) return null;
      return { offset: offset + 4 * i, array: vector[1] === 'f' ? 'f32' : vector[1] === 'i' ? 'i32' : 'u32' };
    }
    const step = stepOffset(exec, type, p, context);
    if (!step) return null;
    offset += step.offset;
    type = step.type;
  }
  return null;
}

function stepType(type: TypeInfo, p: NonNullable<Postfix>): TypeInfo | null {
  const t = type as TypeInfo & { format?: TypeInfo; members?: { name: string; type: TypeInfo }[] };
  if (p instanceof ArrayIndex && type.isArray) return t.format ?? null;
  if (p instanceof StringExpr && type.isStruct) return t.members?.find((m) => m.name === p.value)?.type ?? null;
  return null;
}

/** Byte offset and type one step of an access path adds: an array element, a struct member or a vector component. */
function stepOffset(
  exec: Exec,
  type: TypeInfo,
  p: NonNullable<Postfix>,
  context: Context,
): { offset: number; type: TypeInfo | null } | null {
  const t = type as TypeInfo & { format?: TypeInfo; stride?: number; members?: { name: string; offset: number; type: TypeInfo }[] };
  if (p instanceof ArrayIndex && type.isArray) {
    const i = scalarIndex(exec, p.index, context);
    return i === null ? null : { offset: i * (t.stride ?? 0), type: t.format ?? null };
  }
  if (p instanceof StringExpr && type.isStruct) {
    const member = t.members?.find((m) => m.name === p.value);
    return member ? { offset: member.offset, type: member.type } : null;
  }
  const vector = VECTOR_NAME.exec(type.getTypeName());
  if (vector && p instanceof ArrayIndex) {
    const i = scalarIndex(exec, p.index, context);
    return i === null ? null : { offset: 4 * i, type: null };
  }
  if (vector && p instanceof StringExpr && /^[xyzwrgba]$/.test(p.value)) {
    return { offset: 4 * 'xyzw'.indexOf(p.value.replace('r', 'x').replace('g', 'y').replace('b', 'z').replace('a', 'w')), type: null };
  }
  return null;
}

let componentWritesPatched = false;
function patchComponentWrites(): void {
  if (componentWritesPatched) return;
  componentWritesPatched = true;
  const original = TypedData.prototype.setDataValue;
  TypedData.prototype.setDataValue = function (this: TypedData, exec: Exec, value, postfix, context) {
    const target = value instanceof ScalarData ? vectorComponentTarget(this, exec, postfix, context) : null;
    if (!target) return original.call(this, exec, value, postfix, context);
    const view =
      target.array === 'f32'
        ? new Float32Array(this.buffer, target.offset, 1)
        : target.array === 'i32'
          ? new Int32Array(this.buffer, target.offset, 1)
          : new Uint32Array(this.buffer, target.offset, 1);
    view[0] = (value as ScalarData).value;
  };
}

// ---------------------------------------------------------------------------------------------
// Memory tracking.

/** Who runs now: the scheduler sets it before every step, the tracked buffers read it. */
interface Cursor {
  workgroup: [number, number, number];
  /** Serial number of the workgroup being run (1, 2, …). */
  workgroupSerial: number;
  localIds: [number, number, number][];
  invocation: number;
  line: number;
  /** Serial number of the current phase, over the whole dispatch. */
  phase: number;
}

class Findings {
  races = new Map<string, Race>();
  outOfBounds = new Map<string, OutOfBounds>();
  uninitialised = new Map<string, UninitialisedRead>();
  constructor(readonly cursor: Cursor) {}

  site(kind: AccessKind, invocation = this.cursor.invocation, line = this.cursor.line, workgroup = this.cursor.workgroup): AccessSite {
    return { workgroup: [...workgroup], local: [...this.cursor.localIds[invocation]], line, kind };
  }

  race(variable: string, scope: Race['scope'], a: AccessSite, b: AccessSite, element: number): void {
    const kind = a.kind === 'write' && b.kind === 'write' ? 'write-write' : 'read-write';
    const key = `${variable}|${kind}|${scope}|${a.line}|${b.line}`;
    const known = this.races.get(key);
    if (known) known.count++;
    else this.races.set(key, { variable, kind, scope, a, b, element, count: 1 });
  }

  outOfBound(buffer: string, index: number, length: number, kind: AccessKind): void {
    const key = `${buffer}|${kind}|${this.cursor.line}`;
    const known = this.outOfBounds.get(key);
    if (known) known.count++;
    else this.outOfBounds.set(key, { buffer, index, length, site: this.site(kind), count: 1 });
  }

  uninitialisedRead(variable: string, index: number): void {
    const key = `${variable}|${this.cursor.line}`;
    const known = this.uninitialised.get(key);
    if (known) known.count++;
    else this.uninitialised.set(key, { variable, index, site: this.site('read'), count: 1 });
  }
}

/**
 * A buffer or workgroup variable whose every access is checked against its bounds and against the
 * other accesses of the phase. Physically larger than its logical size, so an access a little past
 * the end runs (and is reported) instead of throwing out of the interpreter.
 */
class TrackedData extends TypedData {
  private readonly words: number;
  // Per 4-byte word: the phase and invocation of its last write, of its first reader and of a
  // second, different reader in that phase, and (workgroup memory) the workgroup that wrote it.
  private readonly writePhase: Int32Array;
  private readonly writer: Int32Array;
  private readonly writeLine: Int32Array;
  private readonly writeWorkgroup: Int32Array;
  private readonly readPhase: Int32Array;
  private readonly reader: Int32Array;
  private readonly readLine: Int32Array;
  private readonly reader2: Int32Array;
  private readonly readLine2: Int32Array;
  private readonly writerWorkgroupId: [number, number, number][] = [];

  constructor(
    buffer: ArrayBuffer,
    typeInfo: TypeInfo,
    readonly label: string,
    readonly byteLength: number,
    private readonly findings: Findings,
    private readonly space: 'workgroup' | 'storage' | 'read-only',
  ) {
    super(buffer, typeInfo, 0, null);
    this.words = Math.ceil(byteLength / 4);
    const physicalWords = buffer.byteLength / 4;
    const words = () => new Int32Array(physicalWords);
    this.writePhase = words();
    this.writer = words();
    this.writeLine = words();
    this.writeWorkgroup = words();
    this.readPhase = words();
    this.reader = words();
    this.readLine = words();
    this.reader2 = words();
    this.readLine2 = words();
  }

  /** Workgroup memory starts every workgroup zeroed and unwritten, as WGSL specifies. */
  resetForWorkgroup(): void {
    new Uint8Array(this.buffer).fill(0);
  }

  override setDataValue(exec: Exec, value: Parameters<TypedData['setDataValue']>[1], postfix: Postfix, context: Context): void {
    if (this.access(exec, postfix, context, 'write')) super.setDataValue(exec, value, postfix, context);
  }

  override getSubData(exec: Exec, postfix: Postfix, context: Context): ReturnType<TypedData['getSubData']> {
    return this.access(exec, postfix, context, 'read') ? super.getSubData(exec, postfix, context) : zeroOf(exec, this.leafType(postfix));
  }

  private leafType(postfix: Postfix): TypeInfo | null {
    let type: TypeInfo | null = this.typeInfo;
    for (let p = postfix; p && type; p = p.postfix) type = stepType(type, p) ?? (VECTOR_NAME.test(type.getTypeName()) ? null : type);
    return type;
  }

  /** Records the access; false when it falls outside even the padding (then it is not performed). */
  private access(exec: Exec, postfix: Postfix, context: Context, kind: AccessKind): boolean {
    const range = this.range(exec, postfix, context);
    if (!range) return true; // an index the tracker cannot resolve: let the library do what it does
    const first = Math.floor(range.offset / 4);
    const last = Math.ceil((range.offset + range.size) / 4) - 1;
    if (first < 0 || last >= this.words) {
      this.findings.outOfBound(this.label, first < 0 ? first : Math.max(first, this.words), this.words, kind);
      return first >= 0 && (last + 1) * 4 <= this.buffer.byteLength;
    }
    if (this.space === 'read-only') return true;
    for (let w = first; w <= last; w++) this.track(w, kind);
    return true;
  }

  private track(w: number, kind: AccessKind): void {
    const { cursor } = this.findings;
    const me = cursor.workgroupSerial * 65536 + cursor.invocation; // unique per invocation in the dispatch
    const phase = cursor.phase;
    const written = this.writePhase[w] !== 0;
    const otherWriter = written && this.writer[w] !== me;
    // Another invocation's write conflicts in the same phase, or (storage) in any other workgroup.
    const writeConflict =
      otherWriter && (this.writePhase[w] === phase || (this.space === 'storage' && this.writeWorkgroup[w] !== cursor.workgroupSerial));
    if (kind === 'read') {
      if (this.space === 'workgroup' && (!written || this.writeWorkgroup[w] !== cursor.workgroupSerial))
        this.findings.uninitialisedRead(this.label, w);
      if (writeConflict) this.report(w, this.writeSite(w), 'read');
      if (this.readPhase[w] !== phase) {
        this.readPhase[w] = phase;
        this.reader[w] = me;
        this.readLine[w] = cursor.line;
        this.reader2[w] = -1;
      } else if (this.reader[w] !== me && this.reader2[w] === -1) {
        this.reader2[w] = me;
        this.readLine2[w] = cursor.line;
      }
      return;
    }
    if (writeConflict) this.report(w, this.writeSite(w), 'write');
    if (this.readPhase[w] === phase) {
      if (this.reader[w] !== me) this.report(w, this.readSite(this.reader[w], this.readLine[w]), 'write');
      else if (this.reader2[w] !== -1) this.report(w, this.readSite(this.reader2[w], this.readLine2[w]), 'write');
    }
    this.writePhase[w] = phase;
    this.writer[w] = me;
    this.writeLine[w] = cursor.line;
    this.writeWorkgroup[w] = cursor.workgroupSerial;
    this.writerWorkgroupId[cursor.workgroupSerial] = cursor.workgroup;
  }

  private writeSite(w: number): AccessSite {
    const invocation = this.writer[w] % 65536;
    return this.findings.site('write', invocation, this.writeLine[w], this.writerWorkgroupId[this.writeWorkgroup[w]]);
  }

  private readSite(reader: number, line: number): AccessSite {
    return this.findings.site('read', reader % 65536, line);
  }

  /** A conflict between an earlier access and the current one (of kind `now`). */
  private report(w: number, earlier: AccessSite, now: AccessKind): void {
    const { cursor } = this.findings;
    const scope = earlier.workgroup.every((x, i) => x === cursor.workgroup[i]) ? 'workgroup' : 'dispatch';
    this.findings.race(this.label, scope, earlier, this.findings.site(now), w);
  }

  private range(exec: Exec, postfix: Postfix, context: Context): { offset: number; size: number } | null {
    let offset = this.offset;
    let type: TypeInfo | null = this.typeInfo;
    let size = type.size;
    for (let p = postfix; p && type; p = p.postfix) {
      const step = stepOffset(exec, type, p, context);
      if (!step) break; // a swizzle of several components: the whole vector
      offset += step.offset;
      type = step.type;
      size = type ? type.size : 4;
    }
    if (!Number.isFinite(offset)) return null;
    return { offset, size: size || 4 };
  }
}

function zeroOf(exec: Exec, type: TypeInfo | null): ReturnType<TypedData['getSubData']> {
  const t = type ?? (exec as unknown as { getTypeInfo(name: string): TypeInfo }).getTypeInfo('f32');
  const vector = VECTOR_NAME.exec(t.getTypeName());
  if (vector) return new VectorData(new Array(Number(t.getTypeName()[3])).fill(0), t);
  return new ScalarData(0, t);
}

// ---------------------------------------------------------------------------------------------
// Overrides become constants: the interpreter sizes module-scope arrays before it applies
// override values, so `var<workgroup> tile: array<f32, KEY_TILE>` would keep the default size.

const OVERRIDE = /(@id\s*\(\s*\d+\s*\)\s*)?\boverride\s+(\w+)\s*(?::\s*([\w<>]+)\s*)?(?:=\s*([^;]*))?;/g;

function literal(value: number, type: string | undefined): string {
  if (type === 'u32') return `${value >>> 0}u`;
  if (type === 'i32') return `${value | 0}i`;
  if (type === 'f32') return `f32(${value})`;
  if (type === 'bool') return value ? 'true' : 'false';
  return String(value);
}

/**
 * The source with every `override` declaration turned into a `const` of the given value (or of its
 * default), on the same lines. Overrides with neither are listed in `missing`.
 */
export function overridesAsConstants(source: string, constants: Record<string, number> = {}): { code: string; missing: string[] } {
  const missing: string[] = [];
  const code = source.replace(OVERRIDE, (whole, _id, name: string, type: string | undefined, initial: string | undefined) => {
    const value = Object.hasOwn(constants, name) ? literal(constants[name], type) : initial?.trim();
    if (!value) missing.push(name);
    const newlines = '\n'.repeat((whole.match(/\n/g) ?? []).length);
    return `const ${name}${type ? `: ${type}` : ''} = ${value ?? '0'};${newlines}`;
  });
  return { code, missing };
}

// ---------------------------------------------------------------------------------------------
// The scheduler: each workgroup's invocations run phase by phase, a phase ending when every
// invocation still running waits at a barrier.

/** The shape of wgsl_reflect's ExecStack, which the package does not export. */
class Stack {
  states: Frame[] = [];
  get isEmpty(): boolean {
    return this.states.length === 0;
  }
  get last(): Frame | null {
    return this.states[this.states.length - 1] ?? null;
  }
  pop(): void {
    this.states.pop();
  }
}

const State = { Running: 0, AtBarrier: 1, Done: 2 } as const;
type State = (typeof State)[keyof typeof State];

interface Invocation {
  index: number;
  steps: number;
  stack: Stack;
  state: State;
  barrier: Call | null;
}

function topFrame(stack: Stack): Frame | null {
  while (stack.states.length > 0) {
    const frame = stack.states[stack.states.length - 1];
    if (!frame.isAtEnd) return frame;
    stack.states.pop();
  }
  return null;
}

/** The statements of a block command (the debugger's internal block marker), or null for any other command. */
function blockStatements(command: unknown): unknown[] | null {
  const c = command as { statements?: unknown; node?: unknown };
  return Array.isArray(c.statements) && c.node === undefined ? c.statements : null;
}

function barrierCall(command: unknown): Call | null {
  const node = (command as { node?: unknown }).node;
  return node instanceof Call && BARRIERS.has(node.name) && !(command as { statement?: unknown }).statement ? node : null;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

interface Attribute {
  name: string;
  value: string | string[];
}
interface VarNode {
  name: string;
  storage: string | null;
  attributes: Attribute[] | null;
  type: unknown;
}
interface VarRef {
  name: string;
  value: unknown;
  node: VarNode | null;
}
interface EntryNode {
  args: { name: string; attributes: Attribute[] | null }[];
  attributes: Attribute[] | null;
  body: never[];
}

function attributeValue(attributes: Attribute[] | null, name: string): string | undefined {
  const value = attributes?.find((a) => a.name === name)?.value;
  return Array.isArray(value) ? value[0] : value;
}

/** A report with nothing found and nothing run yet. */
export function emptyHazardReport(): HazardReport {
  return {
    races: [],
    outOfBounds: [],
    uninitialisedReads: [],
    barrierDivergence: [],
    workgroupBytes: 0,
    workgroupSize: [1, 1, 1],
    workgroups: 0,
    invocations: 0,
    steps: 0,
    maxInvocationSteps: 0,
    interpreterErrors: [],
    ms: 0,
  };
}

/**
 * Runs `source` on the interpreter over `run.grid` and reports races, out-of-bounds accesses,
 * reads of never-written workgroup memory and barrier divergence. Storage bindings' buffers get the
 * kernel's writes. Never throws for a kernel's sake: what could not run is in `interpreterErrors`.
 */
export function detectHazards(source: string, run: HazardRun): HazardReport {
  patchComponentWrites();
  const started = performance.now();
  const entryPoint = run.entryPoint ?? 'main';
  const cursor: Cursor = { workgroup: [0, 0, 0], workgroupSerial: 0, localIds: [], invocation: 0, line: 0, phase: 0 };
  const findings = new Findings(cursor);
  const logged = new Map<string, number>();
  const report = emptyHazardReport();
  const divergence = new Map<string, BarrierDivergence>();
  const finish = (incomplete?: string): HazardReport => {
    report.races = [...findings.races.values()].slice(0, MAX_EXAMPLES_PER_LIST);
    report.outOfBounds = [...findings.outOfBounds.values()].slice(0, MAX_EXAMPLES_PER_LIST);
    report.uninitialisedReads = [...findings.uninitialised.values()].slice(0, MAX_EXAMPLES_PER_LIST);
    report.barrierDivergence = [...divergence.values()];
    report.interpreterErrors.push(...[...logged].map(([message, count]) => (count > 1 ? `${message} (${count}×)` : message)));
    if (incomplete) report.incomplete = incomplete;
    report.ms = performance.now() - started;
    return report;
  };

  // The interpreter reports what it cannot do on the console and carries on; collect it instead.
  const consoleMethods = { error: console.error, log: console.log, warn: console.warn };
  const collect = (...args: unknown[]) => {
    const message = args
      .map((a) => (typeof a === 'string' ? a : ((a as { constructor?: { name?: string } })?.constructor?.name ?? String(a))))
      .join(' ');
    logged.set(message, (logged.get(message) ?? 0) + 1);
  };
  console.error = console.log = console.warn = collect;
  try {
    const { code, missing } = overridesAsConstants(source, run.constants);
    if (missing.length) return finish(`override constants without a value: ${missing.join(', ')}`);
    let debug: WgslDebug;
    try {
      // The interpreter has nothing to do with `enable` directives (it logs them as invalid
      // statements); blanked, they keep every line where it was.
      debug = new WgslDebug(code.replace(/^[ \t]*enable\s[^;\n]*;/gm, (directive) => ' '.repeat(directive.length)));
    } catch (error) {
      return finish(`the interpreter could not parse the kernel: ${(error as Error).message}`);
    }
    const exec = debug.exec;
    const context = exec.context;
    exec._execStatements(exec.ast, context);
    const fn = context.getFunction(entryPoint);
    if (!fn) return finish(`no entry point ${entryPoint}`);
    const entry = fn.node as unknown as EntryNode;

    // Workgroup size: literals or constants, as the engine requires.
    const sizeAttr = entry.attributes?.find((a) => a.name === 'workgroup_size')?.value;
    const sizes = (Array.isArray(sizeAttr) ? sizeAttr : sizeAttr ? [sizeAttr] : []).map((v) => {
      const constant = context.getVariableValue(v);
      return constant instanceof ScalarData ? constant.value : parseInt(v, 10);
    });
    const wgSize: [number, number, number] = [sizes[0] || 1, sizes[1] || 1, sizes[2] || 1];
    report.workgroupSize = wgSize;

    const vec3u = exec.getTypeInfo('vec3u')!;
    const u32 = exec.getTypeInfo('u32')!;

    // Bind the buffers (padded, tracked) and track every workgroup variable.
    const padded = (data: ArrayBuffer) => {
      const copy = new ArrayBuffer(roundUp(data.byteLength, 4) * 2 + 65536);
      new Uint8Array(copy).set(new Uint8Array(data));
      return copy;
    };
    const storage: { tracked: TrackedData; target: ArrayBuffer }[] = [];
    const shared: TrackedData[] = [];
    for (const v of (context.variables as Map<string, VarRef>).values()) {
      const node = v.node;
      if (!node) continue;
      const type = exec.getTypeInfo(node.type as never);
      if (!type) continue;
      if (node.storage === 'workgroup') {
        const bytes = type.size;
        report.workgroupBytes += roundUp(bytes, 16);
        const tracked = new TrackedData(new ArrayBuffer(roundUp(bytes, 4) * 2 + 4096), type, v.name, bytes, findings, 'workgroup');
        v.value = tracked;
        shared.push(tracked);
        continue;
      }
      const binding = attributeValue(node.attributes, 'binding');
      if (binding === undefined) continue;
      const group = attributeValue(node.attributes, 'group');
      const entryBinding = group === '0' ? run.bindings[Number(binding)] : undefined;
      if (!entryBinding) {
        report.interpreterErrors.push(`no buffer for @group(${group}) @binding(${binding}) ${v.name}; its accesses read zeros`);
        continue;
      }
      if (entryBinding.uniform || node.storage === 'uniform') {
        v.value = new TypedData(entryBinding.data, type, 0, null);
        continue;
      }
      const readOnly = (node as unknown as { access: string | null }).access !== 'read_write';
      const tracked = new TrackedData(
        padded(entryBinding.data),
        type,
        v.name,
        entryBinding.data.byteLength,
        findings,
        readOnly ? 'read-only' : 'storage',
      );
      v.value = tracked;
      storage.push({ tracked, target: entryBinding.data });
    }

    // arrayLength() of a padded buffer must still count the caller's elements.
    const arrayLength = exec.builtins.ArrayLength.bind(exec.builtins);
    exec.builtins.ArrayLength = (node, ctx) => {
      const argument = (node.args?.[0] ?? null) as { right?: unknown } | null;
      const data = argument && exec.evalExpression((argument.right ?? argument) as never, ctx);
      const stride = (data as { typeInfo?: { stride?: number } } | null)?.typeInfo?.stride;
      return data instanceof TrackedData && stride ? new ScalarData(Math.floor(data.byteLength / stride), u32) : arrayLength(node, ctx);
    };

    // Built-ins: each invocation gets its own context, with its ids bound to the entry's arguments.
    const builtins = entry.args.map((arg) => ({ name: arg.name, builtin: attributeValue(arg.attributes, 'builtin') }));
    // The interpreter's subgroup operations act on the calling invocation alone (subgroupAdd(x) is
    // x), so every invocation is a subgroup of one: subgroup_size 1, subgroup_invocation_id 0. A
    // kernel that numbers its subgroups by local_invocation_index / subgroup_size then writes one
    // slot per invocation, the most slots it can have, and that is what is checked for races.
    const supported = new Set([
      'workgroup_id',
      'local_invocation_id',
      'global_invocation_id',
      'local_invocation_index',
      'num_workgroups',
      'subgroup_size',
      'subgroup_invocation_id',
    ]);
    const unsupported = builtins.filter((b) => !b.builtin || !supported.has(b.builtin));
    if (unsupported.length)
      return finish(
        `entry-point arguments the interpreter cannot supply: ${unsupported.map((b) => `${b.name}${b.builtin ? ` (@builtin(${b.builtin}))` : ' (a struct?)'}`).join(', ')}`,
      );
    const localIds: [number, number, number][] = [];
    for (let z = 0; z < wgSize[2]; z++) for (let y = 0; y < wgSize[1]; y++) for (let x = 0; x < wgSize[0]; x++) localIds.push([x, y, z]);
    cursor.localIds = localIds;

    const stepBudget = run.stepBudget ?? DEFAULT_STEP_BUDGET;
    const invocationBudget = run.invocationStepBudget ?? DEFAULT_INVOCATION_STEP_BUDGET;
    let lastLines = { invocation: -1, lines: new Set<number>() };
    const deadline = started + (run.timeLimitMs ?? 30_000);
    const [gx, gy, gz] = run.grid;
    for (let wz = 0; wz < gz; wz++) {
      for (let wy = 0; wy < gy; wy++) {
        for (let wx = 0; wx < gx; wx++) {
          cursor.workgroup = [wx, wy, wz];
          cursor.workgroupSerial++;
          cursor.phase++;
          for (const tracked of shared) tracked.resetForWorkgroup();
          const values: Record<string, (li: number) => unknown> = {
            workgroup_id: () => new VectorData([wx, wy, wz], vec3u),
            num_workgroups: () => new VectorData([gx, gy, gz], vec3u),
            local_invocation_id: (li) => new VectorData([...localIds[li]], vec3u),
            global_invocation_id: (li) =>
              new VectorData(
                localIds[li].map((l, i) => l + cursor.workgroup[i] * wgSize[i]),
                vec3u,
              ),
            local_invocation_index: (li) => new ScalarData(li, u32),
            subgroup_size: () => new ScalarData(1, u32),
            subgroup_invocation_id: () => new ScalarData(0, u32),
          };
          const invocations: Invocation[] = localIds.map((_, li) => {
            const ctx = context.clone();
            for (const b of builtins) ctx.createVariable(b.name, values[b.builtin!](li) as never);
            const stack = new Stack();
            stack.states.push(debug.createStackFrame(entry.body, ctx));
            return { index: li, steps: 0, stack, state: State.Running, barrier: null };
          });
          report.workgroups++;
          report.invocations += invocations.length;

          for (;;) {
            for (const inv of invocations) {
              if (inv.state !== State.Running) continue;
              cursor.invocation = inv.index;
              for (;;) {
                const frame = topFrame(inv.stack);
                const command = frame?.getCurrentCommand() ?? null;
                if (!command) {
                  inv.state = State.Done;
                  break;
                }
                // Entering a block: the debugger would push it and run its first statement in the
                // same step, so a barrier that opens an if or loop body would pass unseen.
                const block = blockStatements(command);
                if (block && frame) {
                  frame.current++;
                  inv.stack.states.push(debug.createStackFrame(block as never, frame.context.clone(), frame));
                  continue;
                }
                const barrier = barrierCall(command);
                if (barrier) {
                  inv.state = State.AtBarrier;
                  inv.barrier = barrier;
                  break;
                }
                cursor.line = command.line;
                try {
                  debug.stepStack(inv.stack as never, true);
                } catch (error) {
                  collect(
                    `line ${cursor.line}: the interpreter failed (${(error as Error).message}); invocation ${localIds[inv.index].join(',')} of workgroup ${cursor.workgroup.join(',')} stopped`,
                  );
                  inv.state = State.Done;
                  break;
                }
                inv.steps++;
                if (inv.steps > report.maxInvocationSteps) report.maxInvocationSteps = inv.steps;
                if (++report.steps > stepBudget - LAST_STEPS || inv.steps > invocationBudget - LAST_STEPS) {
                  if (lastLines.invocation !== inv.index) lastLines = { invocation: inv.index, lines: new Set() };
                  lastLines.lines.add(cursor.line);
                }
                const of = inv.steps > invocationBudget ? 'invocation' : report.steps > stepBudget ? 'run' : null;
                if (of) {
                  const budget = of === 'invocation' ? invocationBudget : stepBudget;
                  report.outOfSteps = {
                    budget,
                    of,
                    workgroup: [...cursor.workgroup],
                    local: [...localIds[inv.index]],
                    lines: [...lastLines.lines].sort((a, b) => a - b),
                  };
                  return finish(
                    `stopped after ${budget} interpreter steps${of === 'invocation' ? ' of one invocation' : ''} (an endless loop?)`,
                  );
                }
                if ((report.steps & 4095) === 0 && performance.now() > deadline)
                  return finish(`stopped after ${run.statedLimitMs ?? run.timeLimitMs ?? 30_000} ms`);
              }
            }
            const parked = invocations.filter((inv) => inv.state === State.AtBarrier);
            if (parked.length === 0) break;
            const done = invocations.length - parked.length;
            const first = parked[0].barrier!;
            const noteDivergence = (message: string) => {
              const known = divergence.get(message);
              if (known) known.count++;
              else divergence.set(message, { line: first.line, message, count: 1 });
            };
            if (done > 0)
              noteDivergence(
                `line ${first.line}: ${parked.length} invocations wait at this barrier while ${done} have returned; barriers must be reached by every invocation (workgroup-uniform control flow)`,
              );
            const others = parked.find((inv) => inv.barrier !== first);
            if (others) noteDivergence(`invocations wait at different barriers (lines ${first.line} and ${others.barrier!.line})`);
            cursor.phase++;
            for (const inv of parked) {
              inv.state = State.Running;
              inv.barrier = null;
              cursor.invocation = inv.index;
              debug.stepStack(inv.stack as never, true); // the barrier itself
            }
          }
        }
      }
    }
    // Hand the storage results back (the caller's buffers, not the padded copies).
    for (const { tracked, target } of storage) new Uint8Array(target).set(new Uint8Array(tracked.buffer, 0, target.byteLength));
    return finish();
  } finally {
    Object.assign(console, consoleMethods);
  }
}
