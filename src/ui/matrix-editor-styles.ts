/**
 * The styles of <attn-matrix-editor>'s grid: the scrolling table with sticky row and column
 * labels, the cell inputs (focused, invalid, read-only), the structure buttons and the messages.
 */
import { css } from 'lit';

export const matrixGridStyles = css`
  :host {
    display: block;
    margin-bottom: 0.9rem;
  }
  .hint {
    color: var(--attn-color-text-muted);
    font-size: 0.75rem;
    margin: 0 0 0.3rem;
  }
  .scroll {
    overflow: auto;
    max-height: 340px;
    max-width: 100%;
    border: 1px solid var(--attn-color-border);
    border-radius: var(--attn-radius-md);
    background: var(--attn-color-surface);
  }
  table {
    border-collapse: collapse;
    font-family: var(--attn-font-mono);
    font-size: 12px;
  }
  th {
    font-weight: 500;
    color: var(--attn-color-text-soft);
    background: var(--attn-color-surface-sunken);
    padding: 0 0.35rem;
    white-space: nowrap;
    position: sticky;
  }
  thead th {
    top: 0;
    z-index: 1;
    font-size: 11px;
  }
  tbody th {
    left: 0;
    text-align: right;
    max-width: 9em;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  thead th:first-child {
    left: 0;
    z-index: 2;
  }
  td {
    padding: 0;
    border: 1px solid var(--attn-color-border-subtle);
  }
  input {
    width: 6ch;
    border: 0;
    padding: 0.22rem 0.3rem;
    font: inherit;
    text-align: right;
    background: transparent;
    outline: none;
  }
  input:focus {
    background: var(--attn-color-accent-soft);
    box-shadow: inset 0 0 0 2px var(--attn-color-focus-ring);
  }
  input.invalid {
    background: var(--attn-color-danger-bg);
    box-shadow: inset 0 0 0 2px var(--attn-color-danger-ring);
  }
  td.ro {
    padding: 0.22rem 0.4rem;
    text-align: right;
    color: var(--attn-color-text-strong);
  }
  .message {
    margin: 0.3rem 0 0;
    font-size: 0.8rem;
    color: var(--attn-color-danger);
  }
  .note {
    margin: 0.25rem 0 0;
    font-size: 0.75rem;
    color: var(--attn-color-text-muted);
  }
  .structure {
    display: flex;
    gap: 0.3rem;
    margin-top: 0.3rem;
    flex-wrap: wrap;
  }
`;
