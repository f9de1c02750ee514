import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { configs as litConfigs } from 'eslint-plugin-lit';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';

// ── Layers (README "Layout", docs/architecture.md) ──────────────────────────────────────────────
// Folder → folder rules are checked on resolved paths (import-x/no-restricted-paths), so
// `../../gpu/x` from a subfolder is caught.
// Package rules (no DOM/WebGPU/Lit/Node where a layer must not have them) use no-restricted-imports.
const LAYERS = ['core', 'gpu', 'model', 'node', 'peer', 'plot', 'ui'];
/** What each layer of src/ may import from the others; everything else in src/ is forbidden. */
const MAY_IMPORT = {
  core: [],
  gpu: ['core'],
  model: ['core'],
  node: ['core', 'gpu'],
  peer: ['core', 'gpu'],
  plot: ['core'],
  ui: ['core', 'gpu', 'model', 'peer', 'plot'],
};
const layerZones = [
  ...LAYERS.map((layer) => ({
    target: `./src/${layer}`,
    from: LAYERS.filter((other) => other !== layer && !MAY_IMPORT[layer].includes(other)).map((other) => `./src/${other}`),
    message: `src/${layer} may import only ${MAY_IMPORT[layer].map((l) => `src/${l}`).join(', ') || 'itself (pure math and data)'} (docs/architecture.md).`,
  })),
  { target: './src', from: ['./scripts', './tests'], message: 'src/ never imports terminal commands or tests.' },
  // Each script in scripts/ is an entry that runs its own main: importing another one runs that one too.
  {
    target: './scripts/*.ts',
    from: './scripts/*.ts',
    message: 'A script must not import another script: shared code goes in scripts/lib/.',
  },
];

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const restrict = (names, message) => names.map((name) => ({ name, message }));
const NO_NODE = restrict(nodeBuiltins, 'Node builtins belong in src/node or scripts/.');
const NO_LIT = [{ group: ['lit', 'lit/*', '@lit/*'], message: 'Lit belongs in src/ui.' }];
const NO_UI_LIBS = [
  {
    group: ['monaco-editor', 'monaco-editor/*', 'uplot', 'uplot/*', 'd3-scale-chromatic'],
    message: 'Editor and drawing libraries belong in src/ui or src/plot.',
  },
];
const NO_DAWN = restrict(['webgpu'], 'The `webgpu` package (Dawn) is Node glue: src/node/webgpu.ts. Layers take a GPUDevice from outside.');
const NO_PEER = [{ group: ['@tensorflow/*'], message: 'TensorFlow.js belongs in src/peer.' }];
const NO_TOOLS = restrict(['vite', 'puppeteer', 'vitest'], 'Build and test tools stay out of src/.');
const packageRules = (paths, patterns) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/*.json', '.gpu-kit/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  litConfigs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // Type-aware rules: promises that nobody awaits, promises where a plain callback is expected, type-only imports.
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // core-globals.d.ts belongs to tsconfig.core.json only (tsconfig.json excludes it).
        projectService: { allowDefaultProject: ['src/types/core-globals.d.ts'], defaultProject: 'tsconfig.core.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }],
    },
  },
  // Import graph: layers and no cycles between files.
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'] })],
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }],
    },
  },
  { files: ['src/core/**/*.ts'], rules: packageRules([...NO_NODE, ...NO_DAWN, ...NO_TOOLS], [...NO_LIT, ...NO_UI_LIBS, ...NO_PEER]) },
  { files: ['src/gpu/**/*.ts'], rules: packageRules([...NO_NODE, ...NO_DAWN, ...NO_TOOLS], [...NO_LIT, ...NO_UI_LIBS, ...NO_PEER]) },
  { files: ['src/model/**/*.ts'], rules: packageRules([...NO_NODE, ...NO_DAWN, ...NO_TOOLS], [...NO_LIT, ...NO_UI_LIBS, ...NO_PEER]) },
  { files: ['src/peer/**/*.ts'], rules: packageRules([...NO_NODE, ...NO_DAWN, ...NO_TOOLS], [...NO_LIT, ...NO_UI_LIBS]) },
  { files: ['src/plot/**/*.ts'], rules: packageRules([...NO_NODE, ...NO_DAWN, ...NO_TOOLS], [...NO_LIT, ...NO_PEER]) },
  { files: ['src/ui/**/*.ts', 'src/*.ts'], rules: packageRules([...NO_NODE, ...NO_DAWN, ...NO_TOOLS], []) },
  { files: ['src/node/**/*.ts'], rules: packageRules([...NO_TOOLS], [...NO_LIT, ...NO_UI_LIBS, ...NO_PEER]) },
);
