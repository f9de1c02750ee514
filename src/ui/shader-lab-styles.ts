/** The shader lab's own styles: stage tabs (an edited stage is marked •) and the compile status. */
import { css } from 'lit';

export const shaderLabStyles = css`
  :host {
    display: block;
  }
  .tabs {
    display: flex;
    gap: var(--attn-space-1);
    border-bottom: 1px solid var(--attn-color-border);
    margin-bottom: 0.4rem;
    flex-wrap: wrap;
  }
  .tabs button {
    border-radius: var(--attn-radius-control) var(--attn-radius-control) 0 0;
    border-bottom: 0;
  }
  .tabs button[aria-selected='true'] {
    background: var(--attn-color-accent);
    color: var(--attn-color-on-accent);
    border-color: var(--attn-color-accent);
  }
  .tabs .edited::after {
    content: ' •';
  }
  .ok {
    color: var(--attn-color-success);
    font-size: 0.78rem;
  }
  .staging {
    font-size: 0.78rem;
    margin: 0.3rem 0;
  }
  .staging[data-status='held'],
  .staging[data-status='failed'] {
    color: var(--attn-color-danger-text);
  }
  .example-note {
    font-size: 0.78rem;
    margin: 0.3rem 0;
  }
`;
