/** Styles shared by several elements (each shadow root adopts the same sheet). */
import { css } from 'lit';

export const buttonStyles = css`
  button, .button {
    font: inherit; font-size: 0.78rem; line-height: 1.2; padding: 0.22rem 0.55rem; border: 1px solid #c8c8cc;
    background: #fff; color: #1d1d1f; border-radius: 5px; cursor: pointer; white-space: nowrap;
  }
  button:hover:not(:disabled), .button:hover { background: #f0f0f3; }
  button:disabled { opacity: 0.45; cursor: default; }
  button.primary { background: #0a66d8; border-color: #0a66d8; color: #fff; }
  button.primary:hover:not(:disabled) { background: #0857b8; }
  summary.button { list-style: none; user-select: none; }
  summary.button::-webkit-details-marker { display: none; }
  summary.button::after { content: ' ▾'; font-size: 0.7em; }
`;

export const panelStyles = css`
  .panel { background: #fff; border: 1px solid #e2e2e6; border-radius: 8px; padding: 0.7rem 0.8rem; margin-bottom: 0.8rem; }
  .panel > h2 { font-size: 0.95rem; margin: 0 0 0.5rem; font-weight: 650; }
  label { font-size: 0.82rem; }
  .row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4rem 0.8rem; margin: 0.3rem 0; }
  .muted { color: #6b6b70; font-size: 0.78rem; }
  input[type='number'], input[type='text'], select, textarea {
    font: inherit; font-size: 0.82rem; border: 1px solid #c8c8cc; border-radius: 5px; padding: 0.2rem 0.35rem; background: #fff;
  }
  input[type='number'] { width: 5.5em; }
`;
