/**
 * The platform APIs src/core may use, declared for tsconfig.core.json, which type-checks core with
 * no DOM, WebGPU or Node types. Each exists unchanged in browsers, workers and Node. The main
 * tsconfig.json excludes this file: lib.dom declares the same names in full.
 */
interface TextDecoder {
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare const TextDecoder: { new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder };
