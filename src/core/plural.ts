/** "1 case", "3 cases": a count with its noun, singular for one (the plural given where it is not noun + s). */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}
