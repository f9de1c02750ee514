/**
 * The styles of <attn-heatmap>: the title row with its buttons, the caption, the scrolling canvas
 * and the tooltip.
 */
import { css } from 'lit';

export const heatmapStyles = css`
  :host {
    display: inline-block;
    position: relative;
    max-width: 100%;
    vertical-align: top;
  }
  header {
    display: flex;
    align-items: baseline;
    gap: 0.4rem;
  }
  h3 {
    font-size: 0.95rem;
    margin: 0;
    font-weight: 600;
    margin-right: auto;
    white-space: nowrap;
  }
  /* width 0 + min-width 100%: the caption wraps to the map's width instead of widening the card. */
  .caption {
    display: block;
    width: 0;
    min-width: 100%;
    color: var(--attn-color-text-muted);
    font-size: 0.8rem;
    margin: 0.1rem 0 0.25rem;
  }
  button {
    font: inherit;
    font-size: 0.75rem;
    padding: 0.1rem 0.4rem;
    border: 1px solid var(--attn-color-border-control);
    background: var(--attn-color-surface);
    border-radius: var(--attn-radius-sm);
    cursor: pointer;
  }
  button:hover {
    background: var(--attn-color-surface-hover);
  }
  .scroll {
    overflow: auto;
    max-width: 100%;
  }
  canvas {
    display: block;
    outline: none;
    cursor: crosshair;
  }
  canvas:focus-visible {
    box-shadow: 0 0 0 2px var(--attn-color-focus-ring);
  }
  .tip {
    position: absolute;
    z-index: 10;
    pointer-events: none;
    background: var(--attn-color-tooltip-bg);
    color: var(--attn-color-tooltip-text);
    padding: 0.4rem 0.55rem;
    border-radius: var(--attn-radius-md);
    font-size: 0.78rem;
    line-height: 1.35;
    max-width: 380px;
    box-shadow: var(--attn-shadow-tooltip);
    white-space: pre-wrap;
    font-family: var(--attn-font-mono);
  }
  .tip strong {
    font-family: var(--attn-font-sans);
  }
`;

/** The values behind a map as a table (for screen readers and anyone who wants the numbers), opened on demand. */
export const heatmapTableStyles = css`
  details.values {
    font-size: 0.75rem;
    margin-top: 0.2rem;
  }
  details.values summary {
    cursor: pointer;
    color: var(--attn-color-text-muted);
  }
  .table-box {
    overflow: auto;
    max-width: 100%;
    max-height: 22rem;
    border: 1px solid var(--attn-color-border-table);
    margin-top: 0.2rem;
  }
  .table-box table {
    border-collapse: collapse;
    font-family: var(--attn-font-mono);
    font-variant-numeric: tabular-nums;
  }
  .table-box caption {
    text-align: left;
    font-family: var(--attn-font-sans);
    color: var(--attn-color-text-muted);
    padding: 0.2rem 0.3rem;
  }
  .table-box th,
  .table-box td {
    padding: 0.1rem 0.35rem;
    border: 1px solid var(--attn-color-border-faint);
    text-align: right;
    white-space: nowrap;
  }
  .table-box th {
    background: var(--attn-color-surface-sunken);
    font-weight: 600;
  }
`;
