/**
 * A static look for the classic workgroup-memory race: a `var<workgroup>` written and then read
 * again, later in the same function, with no workgroupBarrier() in between. Other invocations read
 * that memory too, so they may read it before it is written.
 *
 * Why a static check: a CPU emulator such as SwiftShader runs a workgroup's invocations in a fixed
 * order, so the race gives the same wrong answer every run and the two-run comparison cannot see it.
 * The check reads text in order, one function at a time: it misses reads inside called functions
 * and the write-after-read hazard across loop iterations, and it flags an invocation re-reading only
 * its own element. It is a hint for a failing kernel, not a proof.
 */

export interface BarrierFinding {
  variable: string;
  /** 1-based line of the read and of the write before it. */
  line: number;
  writeLine: number;
}

interface Event {
  kind: 'barrier' | 'read' | 'write';
  variable: string;
  /** Offset the event happens at, in source order. */
  at: number;
}

/** Blanks out comments, keeping every offset (and so every line number) in place. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, (c) => ' '.repeat(c.length));
}

/** [start, end) of every function body. */
function functionBodies(code: string): [number, number][] {
  const bodies: [number, number][] = [];
  const header = /\bfn\s+\w+\s*\(/g;
  for (let match = header.exec(code); match; match = header.exec(code)) {
    const open = code.indexOf('{', match.index);
    if (open < 0) break;
    let depth = 0,
      i = open;
    for (; i < code.length; i++) {
      if (code[i] === '{') depth++;
      else if (code[i] === '}' && --depth === 0) break;
    }
    bodies.push([open + 1, i]);
    header.lastIndex = i;
  }
  return bodies;
}

/** Offset just past the end of an access path `[…]…` or `.field`, starting right after the name. */
function skipAccess(code: string, i: number): number {
  for (;;) {
    while (code[i] === ' ' || code[i] === '\t' || code[i] === '\n' || code[i] === '\r') i++;
    if (code[i] === '[') {
      let depth = 0;
      for (; i < code.length; i++) {
        if (code[i] === '[') depth++;
        else if (code[i] === ']' && --depth === 0) break;
      }
      i++;
    } else if (code[i] === '.' && /[A-Za-z_]/.test(code[i + 1] ?? '')) {
      i++;
      while (/\w/.test(code[i] ?? '')) i++;
    } else {
      return i;
    }
  }
}

/** Barriers, reads and writes of workgroup variables inside one function body, in source order. */
function events(code: string, [start, end]: [number, number], shared: string[]): Event[] {
  const list: Event[] = [];
  const names = new RegExp(`\\b(workgroupBarrier|workgroupUniformLoad|${shared.join('|')})\\b`, 'g');
  names.lastIndex = start;
  for (let match = names.exec(code); match && match.index < end; match = names.exec(code)) {
    const name = match[1];
    if (name === 'workgroupBarrier' || name === 'workgroupUniformLoad') {
      list.push({ kind: 'barrier', variable: '', at: match.index });
      continue;
    }
    const after = skipAccess(code, match.index + name.length);
    const op = code.slice(after, after + 3);
    const assign = /^=[^=]/.test(op);
    const compound = /^([-+*/%&|^]|<<|>>)=/.test(op);
    if (!assign) list.push({ kind: 'read', variable: name, at: match.index });
    if (assign || compound) {
      // The right-hand side is read before the store happens: place the write at the statement's end.
      const semicolon = code.indexOf(';', after);
      list.push({ kind: 'write', variable: name, at: semicolon < 0 ? after : semicolon });
    }
  }
  return list.sort((a, b) => a.at - b.at);
}

/** Reads of workgroup memory that follow a write of it with no barrier in between, one per variable. */
export function unsyncedWorkgroupReads(source: string): BarrierFinding[] {
  const code = stripComments(source);
  const shared = [...code.matchAll(/var\s*<\s*workgroup\s*>\s*(\w+)/g)].map((m) => m[1]);
  if (shared.length === 0) return [];
  const lineAt = (offset: number) => code.slice(0, offset).split('\n').length;
  const findings: BarrierFinding[] = [];
  for (const body of functionBodies(code)) {
    const written = new Map<string, number>(); // variable → offset of its last unsynchronised write
    for (const event of events(code, body, shared)) {
      if (event.kind === 'barrier') written.clear();
      else if (event.kind === 'write') written.set(event.variable, event.at);
      else if (written.has(event.variable) && !findings.some((f) => f.variable === event.variable)) {
        findings.push({ variable: event.variable, line: lineAt(event.at), writeLine: lineAt(written.get(event.variable)!) });
      }
    }
  }
  return findings;
}
