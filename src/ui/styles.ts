/**
 * Styles shared by several elements (each shadow root adopts the same sheet). Colours, radii,
 * spacing and fonts are the design tokens of tokens.css (`var(--attn-…)`), never literals.
 */
import { css } from 'lit';

export const buttonStyles = css`
  button,
  .button {
    font: inherit;
    font-size: 0.78rem;
    line-height: 1.2;
    padding: 0.22rem 0.55rem;
    border: 1px solid var(--attn-color-border-control);
    background: var(--attn-color-surface);
    color: var(--attn-color-text);
    border-radius: var(--attn-radius-control);
    cursor: pointer;
    white-space: nowrap;
  }
  button:hover:not(:disabled),
  .button:hover {
    background: var(--attn-color-surface-hover);
  }
  button:disabled {
    opacity: 0.45;
    cursor: default;
  }
  button.primary {
    background: var(--attn-color-accent);
    border-color: var(--attn-color-accent);
    color: var(--attn-color-on-accent);
  }
  button.primary:hover:not(:disabled) {
    background: var(--attn-color-accent-hover);
  }
  summary.button {
    list-style: none;
    user-select: none;
  }
  summary.button::-webkit-details-marker {
    display: none;
  }
  summary.button::after {
    content: ' ▾';
    font-size: 0.7em;
  }
`;

export const panelStyles = css`
  .panel {
    background: var(--attn-color-surface);
    border: 1px solid var(--attn-color-border);
    border-radius: var(--attn-radius-card);
    padding: var(--attn-space-4) var(--attn-space-5);
    margin-bottom: var(--attn-space-5);
  }
  .panel > h2 {
    font-size: 0.95rem;
    margin: 0 0 0.5rem;
    font-weight: 650;
  }
  label {
    font-size: 0.82rem;
    max-width: 100%;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.4rem 0.8rem;
    margin: 0.3rem 0;
  }
  .muted {
    color: var(--attn-color-text-muted);
    font-size: 0.78rem;
  }
  input[type='number'],
  input[type='text'],
  select,
  textarea {
    font: inherit;
    font-size: 0.82rem;
    border: 1px solid var(--attn-color-border-control);
    border-radius: var(--attn-radius-control);
    padding: 0.2rem 0.35rem;
    background: var(--attn-color-surface);
    max-width: 100%;
  }
  input[type='number'] {
    width: 5.5em;
  }
`;

/** The page's tab bars (input mode, output view): a row of buttons over a rule. */
export const tabStyles = css`
  .tabs {
    display: flex;
    flex-wrap: wrap;
    gap: var(--attn-space-1);
    border-bottom: 1px solid var(--attn-color-border-tab);
    margin-bottom: var(--attn-space-4);
  }
  .tabs button {
    border: 1px solid transparent;
    border-bottom: 0;
    border-radius: var(--attn-radius-md) var(--attn-radius-md) 0 0;
    background: none;
    padding: 0.35rem 0.8rem;
    font-size: 0.85rem;
    color: var(--attn-color-text-soft);
  }
  .tabs button[aria-selected='true'] {
    background: var(--attn-color-surface);
    border-color: var(--attn-color-border-tab);
    color: var(--attn-color-text);
    font-weight: 600;
    margin-bottom: -1px;
  }
  @media (max-width: 480px) {
    .tabs button {
      padding: 0.35rem 0.5rem;
    }
  }
`;

/** A list of compiler messages (`<ul class="messages">`, items `.error` / `.warning`), as the lab and the verify report show them. */
export const messageListStyles = css`
  .messages {
    font-family: var(--attn-font-mono);
    font-size: 0.76rem;
    margin: 0.4rem 0;
    padding: 0;
    list-style: none;
  }
  .messages li {
    margin: 0.1rem 0;
  }
  .messages .error {
    color: var(--attn-color-danger);
  }
  .messages .warning {
    color: var(--attn-color-warning-text);
  }
  .messages a {
    color: inherit;
    cursor: pointer;
    text-decoration: underline dotted;
  }
`;

/** Text for screen readers only: out of sight, still read (the table behind a heatmap, a table's corner header). */
export const srOnlyStyles = css`
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0, 0, 0, 0);
    white-space: nowrap;
    border: 0;
  }
`;
