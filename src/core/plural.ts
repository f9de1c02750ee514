/** "1 case", "3 cases": a count with its noun, singular for one (the plural given where it is not noun + s). */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}

/**
 * Part of a count with its noun, said as counted() says a count: "the 1 case", "all 3 cases" (the
 * whole), "2 of 5 cases", "0 of 1 case".
 */
export function countedOf(part: number, whole: number, noun: string, plural = `${noun}s`): string {
  if (part === whole && whole > 0) return whole === 1 ? `the 1 ${noun}` : `all ${whole} ${plural}`;
  return `${part} of ${counted(whole, noun, plural)}`;
}
