/**
 * A static look for a `var` declared without an initializer inside a loop body and read before the
 * loop body assigns it: an accumulator (`var acc: vec4f;` then `acc += …`) that WGSL zero-fills on
 * every iteration.
 *
 * Why: Dawn — Chrome's WebGPU and Node's `webgpu` package — on SwiftShader keeps such a variable's
 * value from the previous iteration instead (measured: `var x: vec4f;` then `x[0] += 1.0` in a loop
 * of four gives 1 2 3 4, not 1 1 1 1; with `var x = vec4f();` it gives 1 1 1 1; naga had the same
 * bug, gfx-rs/wgpu#9489). So a kernel that relies on the zero-fill is wrong on those devices and
 * right on others. The built-in kernels give every such variable an initializer.
 *
 * The check walks wgsl_reflect's syntax tree, in source order, one loop body at a time: the first
 * statement after the declaration that mentions the variable decides. A read (in any expression,
 * the right-hand side of its own assignment included), a compound assignment (`+=`, …) or an
 * increment is a finding; an assignment to it or to one of its elements or members is not (so an
 * array filled element by element and then read is not flagged, even when some element is never
 * written), and neither is passing its address to a function (`&x`: the function may only write).
 */
import { WgslParser } from 'wgsl_reflect/wgsl_reflect.module.js';

export interface LoopVarFinding {
  variable: string;
  /** 1-based line of the declaration, and of the statement that reads it first. */
  line: number;
  readLine: number;
}

/** A syntax-tree node as wgsl_reflect builds it (only the fields this check reads). */
interface AstNode {
  astNodeType?: string;
  line?: number;
  name?: string;
  operator?: string;
  value?: unknown;
  variable?: AstNode;
  right?: AstNode;
  postfix?: AstNode | null;
  body?: AstNode[];
  continuing?: AstNode | null;
  [field: string]: unknown;
}

const LOOPS = new Set(['for', 'while', 'loop']);
/** Fields that point up or into type information, never at the statements or expressions below. */
const SKIPPED = new Set(['parent', 'type', 'typeInfo', 'attributes', 'returnType']);

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null;
}

/** The nodes directly below `node`, in field order (source order for statements and expressions). */
function children(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  for (const [field, value] of Object.entries(node)) {
    if (SKIPPED.has(field)) continue;
    if (Array.isArray(value)) out.push(...value.filter(isNode));
    else if (isNode(value)) out.push(value);
  }
  return out;
}

/** How `node` uses `name` first: 'read', 'address' (&name), or null when it does not mention it. */
function firstUse(node: AstNode, name: string): 'read' | 'address' | null {
  if (node.astNodeType === 'unaryOp' && node.operator === '&' && node.right?.name === name && !node.right.postfix) return 'address';
  if (node.name === name && (node.astNodeType === 'varExpr' || node.astNodeType === undefined)) return 'read';
  for (const child of children(node)) {
    const use = firstUse(child, name);
    if (use) return use;
  }
  return null;
}

/** What the first statement among `statements` that mentions `name` does with it. */
function firstStatementUse(statements: AstNode[], name: string): { use: 'read' | 'write' | 'address'; line: number } | null {
  for (const statement of statements) {
    const line = statement.line ?? 0;
    if (statement.astNodeType === 'assign') {
      const value = isNode(statement.value) ? firstUse(statement.value, name) : null;
      if (value) return { use: value, line };
      const target = statement.variable;
      if (target?.name === name) return { use: statement.operator === '=' ? 'write' : 'read', line };
      const index = target ? firstUse(target, name) : null;
      if (index) return { use: index, line };
      continue;
    }
    if (statement.astNodeType === 'increment' && isNode(statement.variable) && firstUse(statement.variable, name))
      return { use: 'read', line };
    // A compound statement: its own expressions (a condition) first, then its blocks in order.
    const blocks: AstNode[][] = [];
    for (const [field, value] of Object.entries(statement)) {
      if (SKIPPED.has(field)) continue;
      if (
        Array.isArray(value) &&
        value.every(isNode) &&
        (field === 'body' || field === 'elseif' || field === 'else' || field === 'cases')
      ) {
        blocks.push(value);
      } else if (isNode(value)) {
        const use = firstUse(value, name);
        if (use) return { use, line };
      }
    }
    for (const block of blocks) {
      const use = firstStatementUse(block, name);
      if (use) return use;
    }
  }
  return null;
}

/** Every `var` without an initializer in a loop body (of any function) that the body reads before assigning. */
export function loopVarsReadFirst(source: string): LoopVarFinding[] {
  let ast: AstNode[];
  try {
    ast = new WgslParser().parse(source) as unknown as AstNode[];
  } catch {
    return []; // the compiler reports what does not parse
  }
  const findings: LoopVarFinding[] = [];
  const visitBlock = (statements: AstNode[], inLoop: boolean) => {
    statements.forEach((statement, i) => {
      if (inLoop && statement.astNodeType === 'var' && (statement.value === null || statement.value === undefined) && statement.name) {
        const use = firstStatementUse(statements.slice(i + 1), statement.name);
        if (use?.use === 'read') findings.push({ variable: statement.name, line: statement.line ?? 0, readLine: use.line });
      }
      visitStatement(statement, inLoop);
    });
  };
  const visitStatement = (statement: AstNode, inLoop: boolean) => {
    const loop = LOOPS.has(statement.astNodeType ?? '');
    for (const [field, value] of Object.entries(statement)) {
      if (SKIPPED.has(field)) continue;
      if (Array.isArray(value) && value.length && value.every(isNode) && value.some((v) => v.line !== undefined)) {
        // A block: a loop's body (and continuing) is in the loop; a for's init is not.
        visitBlock(value, inLoop || (loop && field === 'body'));
      } else if (isNode(value) && value.astNodeType === 'continuing' && Array.isArray(value.body)) {
        visitBlock(value.body, true);
      } else if (isNode(value) && Array.isArray(value.body) && field !== 'init') {
        visitStatement(value, inLoop);
      }
    }
  };
  for (const node of ast) if (node.astNodeType === 'function' && Array.isArray(node.body)) visitBlock(node.body, false);
  return findings;
}
