/**
 * Driving the Profiler tab from puppeteer: its elements, its checkboxes, waiting until its Run
 * button can be pressed and until a sweep has ended.
 */
import type { ElementHandle, Page } from 'puppeteer';
import { $app } from './app';

/** An element inside <attn-profiler> (its form and results included), by a deep selector. */
export function profiler(page: Page, selector: string): Promise<ElementHandle<Element>> {
  return $app(page, `attn-profiler >>> ${selector}`);
}

/** Ticks or clears a checkbox of the profiler by clicking it, as a user would. */
export async function setChecked(page: Page, selector: string, on: boolean): Promise<void> {
  // A click can miss while the form re-renders under load (a CI run kept N = 128 on): click until the box reads `on`.
  for (let attempt = 0; attempt < 3; attempt++) {
    const box = (await profiler(page, selector)) as ElementHandle<HTMLInputElement>;
    if ((await box.evaluate((el) => el.checked)) === on) return;
    await box.click();
  }
  const box = (await profiler(page, selector)) as ElementHandle<HTMLInputElement>;
  if ((await box.evaluate((el) => el.checked)) !== on)
    throw new Error(`${selector} stayed ${on ? 'unchecked' : 'checked'} after three clicks`);
}

/** Waits until the profiler's Run button is there and enabled (its chunk loaded, a device found). */
export async function waitForRunButton(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const el = document.querySelector('attn-app')?.shadowRoot?.querySelector('attn-layout')?.shadowRoot?.querySelector('attn-profiler');
      const run = el?.shadowRoot?.querySelector('attn-profile-controls')?.shadowRoot?.querySelector<HTMLButtonElement>('#run');
      return !!run && !run.disabled;
    },
    { timeout },
  );
}

/** Waits until the running sweep has ended (done or error). */
export async function waitForProfile(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(
    () => {
      const state = document.querySelector('attn-app')?.shadowRoot?.querySelector('attn-layout')?.shadowRoot?.querySelector('attn-profiler')
        ?.dataset.state;
      return state === 'done' || state === 'error';
    },
    { timeout },
  );
}

/** Waits until an element of the Profiler's results (a selector inside <attn-profile-results>) is there and its text holds `text`. */
export async function waitForResultsText(page: Page, selector: string, text = '', timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (sel: string, wanted: string) =>
      document
        .querySelector('attn-app')
        ?.shadowRoot?.querySelector('attn-layout')
        ?.shadowRoot?.querySelector('attn-profiler')
        ?.shadowRoot?.querySelector('attn-profile-results')
        ?.shadowRoot?.querySelector(sel)
        ?.textContent?.includes(wanted) ?? false,
    { timeout },
    selector,
    text,
  );
}
