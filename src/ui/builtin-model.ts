/**
 * The built-in model's files, fetched from the page's own assets (nothing from elsewhere).
 *
 * PLACEHOLDER until the trained model's files (src/assets/model/) merge: then this becomes
 *   import modelUrl from '../assets/model/model.safetensors?url';
 *   import configUrl from '../assets/model/config.json?url';
 *   import tokenizerUrl from '../assets/model/tokenizer.json?url';
 *   import rolesUrl from '../assets/model/roles.json?url';
 *   const BUILTIN = [['model.safetensors', modelUrl], ['config.json', configUrl], ['tokenizer.json', tokenizerUrl], ['roles.json', rolesUrl]];
 * and builtinModelFiles fetches each of them.
 */

const BUILTIN: [string, string][] = [];

export async function builtinModelFiles(fetchFn: typeof fetch = fetch): Promise<{ name: string; bytes: Uint8Array }[]> {
  if (BUILTIN.length === 0) return [{ name: 'builtin-placeholder', bytes: new Uint8Array(0) }];
  return Promise.all(
    BUILTIN.map(async ([name, url]) => {
      const response = await fetchFn(url);
      if (!response.ok) throw new Error(`the built-in model's ${name} could not be fetched (HTTP ${response.status})`);
      return { name, bytes: new Uint8Array(await response.arrayBuffer()) };
    }),
  );
}
