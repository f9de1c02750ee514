/**
 * Styles of the stage view (<attn-stage-view>) and its head grid (<attn-head-grid>): the cards the
 * maps sit on, the section headings, the rows of maps, the head picker and the CPU/GPU switch.
 */
import { css } from 'lit';

/** A map's card and a section heading (shared by the stage view and the head grid). */
export const stageCardStyles = css`
  .card {
    background: var(--attn-color-surface);
    border: 1px solid var(--attn-color-border);
    border-radius: var(--attn-radius-card);
    padding: 0.6rem 0.7rem;
    /* A map wider than the screen scrolls inside its card (attn-heatmap's own box), not the page. */
    max-width: 100%;
    min-width: 0;
    box-sizing: border-box;
  }
  h4,
  h3.grid-title {
    margin: 0.2rem 0 0.6rem;
    font-size: 0.88rem;
    color: var(--attn-color-text-soft);
    font-weight: 600;
  }
  h4 .muted,
  h3.grid-title .muted {
    font-weight: 400;
    font-size: 0.8rem;
  }
`;

/** Rows of maps, the head picker and the "values drawn from" switch. */
export const stageViewStyles = css`
  :host {
    display: block;
  }
  .maps {
    display: flex;
    flex-wrap: wrap;
    gap: 1rem 22px;
    align-items: flex-start;
    margin-bottom: 1rem;
  }
  .heads {
    display: flex;
    gap: 0.3rem;
    align-items: center;
    margin-bottom: 0.6rem;
    font-size: 0.85rem;
  }
  .heads button[aria-pressed='true'] {
    background: var(--attn-color-accent);
    color: var(--attn-color-on-accent);
    border-color: var(--attn-color-accent);
  }
  .source {
    font-size: 0.8rem;
    display: flex;
    gap: 0.7rem;
    align-items: center;
    margin-bottom: 0.5rem;
    color: var(--attn-color-text-soft);
  }
`;
