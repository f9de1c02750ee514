/** Styles of the features panel (<attn-feature-options>): one block per feature, its line of explanation and its message. */
import { css } from 'lit';

export const featureOptionsStyles = css`
  :host {
    display: block;
  }
  .feature {
    border-top: 1px solid var(--attn-color-border);
    padding: 0.35rem 0 0.3rem;
  }
  .feature .row {
    margin: 0;
  }
  .about {
    margin: 0.15rem 0 0;
    font-size: 0.76rem;
    color: var(--attn-color-text-muted);
    line-height: 1.35;
  }
  .name {
    font-weight: 600;
    font-size: 0.82rem;
    min-width: 6.5rem;
  }
  input[type='number'] {
    width: 5em;
  }
  input[type='text'] {
    width: 11em;
  }
  .error {
    color: var(--attn-color-danger);
    font-size: 0.78rem;
  }
`;
