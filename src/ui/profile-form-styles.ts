/** The profiler's form look, shared by <attn-profiler> and <attn-profile-controls>: fieldsets, legends, labels. */
import { css } from 'lit';

export const profileFormStyles = css`
  fieldset {
    border: 1px solid var(--attn-color-border-table);
    border-radius: var(--attn-radius-md);
    margin: 0 0 0.8rem;
    padding: 0.5rem 0.8rem;
  }
  legend {
    font-weight: 600;
  }
  label {
    margin-right: 0.8rem;
  }
`;
