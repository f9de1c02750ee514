/**
 * How large a matrix the page holds: the bounds the state's validator (state.ts) applies to
 * anything read back from a link or storage, and so the bounds every reader (io.ts) applies
 * before it allocates — a file the page could not restore is refused when it is imported.
 */
export const MAX_ROWS = 16384;
export const MAX_CELLS = 1 << 20;
