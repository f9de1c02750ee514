/**
 * Showing each part of the page for checks that go over all of them (accessibility, phone layout):
 * an input mode (matrix, sentence, model, MLP, memory) with its run finished, and an output tab with its
 * content drawn. Also axe-core, injected into the page, and its violations in a readable form.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Axe from 'axe-core';
import type { Page } from 'puppeteer';
import type { Mode, ViewTab } from '../../src/core/state';
import { $app } from './app';

export const MODES: Mode[] = ['matrix', 'sentence', 'model', 'mlp', 'memory'];
export const TABS: ViewTab[] = ['attention', 'compare', 'lab', 'profiler'];
/** The output tabs a mode shows: memory mode has none (its panel holds the hops, the path and the answer). */
export const tabsOf = (mode: Mode): ViewTab[] => (mode === 'memory' ? [] : TABS);

/** Switches the input mode and waits for its run (model mode: the step and its float64 checks). */
export async function showMode(page: Page, mode: Mode): Promise<void> {
  await (await $app(page, `#mode-${mode}`)).click();
  await page.waitForFunction(
    (wanted: string) => {
      const app = document.querySelector('attn-app');
      if (!app || app.currentState.mode !== wanted) return false;
      if (wanted === 'memory') return app.dataset.memoryState === 'done' || app.dataset.memoryState === 'error';
      if (wanted === 'model') {
        const o = app.modelRuns.outcome;
        return (
          app.dataset.modelState === 'error' || (app.dataset.modelState === 'done' && !!o && (o.checks !== null || o.checkError !== null))
        );
      }
      return app.dataset.state === 'error' || (app.dataset.state === 'done' && app.lastOutcome?.problem.mode === wanted);
    },
    { timeout: 120_000 },
    mode,
  );
}

/** What shows that a tab's content is drawn. */
const TAB_READY: Record<ViewTab, string> = {
  attention: 'attn-heatmap',
  compare: 'attn-compare-panel',
  lab: 'attn-shader-lab >>> attn-code-editor >>> .monaco-editor',
  profiler: 'attn-profiler >>> attn-profile-controls',
};

/** Opens an output tab and waits until its content is drawn. */
export async function showTab(page: Page, tab: ViewTab): Promise<void> {
  await (await $app(page, `#tab-${tab}`)).click();
  await page.waitForFunction((wanted: string) => document.querySelector('attn-app')!.currentState.view.tab === wanted, {}, tab);
  // Polled on a timer (a deep selector's wait polls on animation frames, which a background tab may not get).
  await page.waitForFunction(
    (selector: string) => {
      const deep = (root: ParentNode, css: string): Element | null =>
        root.querySelector(css) ??
        [...root.querySelectorAll('*')].reduce<Element | null>((hit, el) => hit ?? (el.shadowRoot ? deep(el.shadowRoot, css) : null), null);
      let found: Element | null = document.querySelector('attn-app');
      for (const part of selector.split('>>>').map((s) => s.trim())) found = found?.shadowRoot ? deep(found.shadowRoot, part) : null;
      return !!found;
    },
    { timeout: 90_000, polling: 250 },
    TAB_READY[tab],
  );
  await settle(page);
}

/** Two animation frames (or 300 ms, where frames are throttled): Lit's updates and the layout they cause are done. */
export function settle(page: Page): Promise<void> {
  return page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        setTimeout(resolve, 300);
        requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
      }),
  );
}

/** Emulates the system's colour scheme and waits until the page's theme follows it. */
export async function emulateScheme(page: Page, scheme: 'light' | 'dark'): Promise<void> {
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  await page.waitForFunction((wanted: string) => document.documentElement.dataset.theme === wanted, {}, scheme);
  await settle(page);
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations on the whole page (shadow roots included), one line per rule with its first nodes. */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: typeof Axe }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(
      (v) =>
        `${v.id} (${v.impact ?? ''}, ${v.nodes.length}×): ${v.help}\n` +
        v.nodes
          .slice(0, 5)
          .map((n) => `    ${JSON.stringify(n.target)}: ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`)
          .join('\n'),
    );
  });
}
