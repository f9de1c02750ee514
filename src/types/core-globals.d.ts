/**
 * The platform APIs src/core may use, declared for tsconfig.core.json, which type-checks core with
 * no DOM, WebGPU or Node types. Each exists unchanged in browsers, workers and Node. The main
 * tsconfig.json excludes this file: lib.dom declares the same names in full.
 */
interface TextDecoder {
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare const TextDecoder: { new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder };

/** UTF-8 bytes of a string (hashing kernel sources for the benchmark card). */
interface TextEncoder {
  encode(input?: string): Uint8Array;
}
declare const TextEncoder: { new (): TextEncoder };

/** Monotonic milliseconds (time limits of long pure computations, e.g. the WGSL interpreter). */
declare const performance: { now(): number };
/**
 * The console, writable: the WGSL interpreter (core/verify/races.ts) logs what it cannot do there,
 * and the hazard check routes those lines into its report while it runs.
 */
type ConsoleMethod = (...data: unknown[]) => void;
declare const console: { error: ConsoleMethod; warn: ConsoleMethod; log: ConsoleMethod };

/** Web Crypto's digest (the benchmark card's SHA-256 hashes): in browsers' secure contexts and Node ≥ 19. */
declare const crypto: { subtle: { digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer> } };
