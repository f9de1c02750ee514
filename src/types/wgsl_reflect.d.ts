// The package's "main" entry is not importable as ESM in Node; its ES module file is, in Node and
// in Vite alike, but carries no types of its own.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
