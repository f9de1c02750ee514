/**
 * The page's colour theme: light, dark, or whatever the system prefers (`prefers-color-scheme`).
 * The choice is kept in localStorage (THEME_KEY) and applied as `data-theme="light|dark"` on the
 * document element, where tokens.css swaps the design tokens. Canvases and Monaco cannot read CSS
 * custom properties as they change, so elements that draw subscribe (ThemeController) and redraw.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'attention-playground.theme';
export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];

const listeners = new Set<(theme: Theme) => void>();
let choice: ThemeChoice = 'system';
let systemQuery: MediaQueryList | null = null;

function isChoice(value: unknown): value is ThemeChoice {
  return THEME_CHOICES.includes(value as ThemeChoice);
}

/** The saved choice ('system' when nothing, or something unknown, is saved or storage is blocked). */
export function savedThemeChoice(): ThemeChoice {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    return isChoice(saved) ? saved : 'system';
  } catch {
    return 'system';
  }
}

export function themeChoice(): ThemeChoice {
  return choice;
}

/** The theme in force: the choice, or for 'system' what the system prefers now. */
export function currentTheme(): Theme {
  if (choice !== 'system') return choice;
  return systemQuery?.matches ? 'dark' : 'light';
}

function apply(): void {
  const theme = currentTheme();
  document.documentElement.dataset.theme = theme;
  for (const listener of listeners) listener(theme);
}

/** Reads the saved choice, applies it and follows the system's preference from then on (once per page). */
export function startTheme(): void {
  if (!systemQuery && typeof matchMedia === 'function') {
    systemQuery = matchMedia('(prefers-color-scheme: dark)');
    systemQuery.addEventListener('change', () => choice === 'system' && apply());
  }
  choice = savedThemeChoice();
  apply();
}

/** The user's choice: applied at once and saved for the next visit. */
export function setThemeChoice(next: ThemeChoice): void {
  choice = next;
  try {
    if (next === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, next);
  } catch {
    // Storage blocked (private mode): the choice holds for this page only.
  }
  apply();
}

/** Calls `onChange` (by default the host's requestUpdate) whenever the theme in force changes, while the host is connected. */
export class ThemeController implements ReactiveController {
  private readonly listener = (theme: Theme) => (this.onChange ? this.onChange(theme) : this.host.requestUpdate());

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly onChange?: (theme: Theme) => void,
  ) {
    host.addController(this);
  }

  get theme(): Theme {
    return currentTheme();
  }

  hostConnected(): void {
    listeners.add(this.listener);
  }

  hostDisconnected(): void {
    listeners.delete(this.listener);
  }
}
