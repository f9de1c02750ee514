/**
 * <attn-verify-report>: a kernel verification's result (src/verify/runner.ts) — the verdict, the
 * hints for the usual bugs, warnings, and one table row per case, filled in live while the suite
 * runs. After a hang or a lost device it offers to reconnect the GPU (a CommandEvent). A failure
 * comes first as the smallest failing case, with a button that loads it into the playground (a
 * LoadCaseEvent); what the cases covered is stated under the table.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { CaseReport, VerifyReport } from '../core/verify/report';
import type { SmallestFailure } from '../core/verify/report';
import { compileErrorLines, formatSmallest, REPORT_COLUMNS, reportCells, reportSummary } from '../core/verify/report';
import { formatCoverage } from '../core/verify/coverage';
import { CommandEvent, LoadCaseEvent } from './events';
import { buttonStyles, messageListStyles } from './styles';

@customElement('attn-verify-report')
export class AttnVerifyReport extends LitElement {
  static override styles = [
    buttonStyles,
    messageListStyles,
    css`
      :host {
        display: block;
      }
      .muted {
        color: var(--attn-color-text-muted);
        font-size: 0.78rem;
      }
      .verdict {
        font-weight: 600;
        font-size: 0.85rem;
        margin: 0.5rem 0 0.3rem;
      }
      .verdict.pass {
        color: var(--attn-color-success);
      }
      .verdict.fail {
        color: var(--attn-color-danger);
      }
      .hint {
        border-left: 3px solid var(--attn-color-danger);
        padding: 0.2rem 0.6rem;
        margin: 0.3rem 0;
        font-size: 0.8rem;
      }
      .hint strong {
        display: block;
      }
      .warning-note {
        border-left: 3px solid var(--attn-color-warning);
        padding: 0.2rem 0.6rem;
        font-size: 0.8rem;
      }
      .table {
        overflow-x: auto;
      }
      table {
        border-collapse: collapse;
        font-size: 0.74rem;
        font-variant-numeric: tabular-nums;
        width: 100%;
      }
      th,
      td {
        text-align: left;
        padding: 0.15rem 0.45rem;
        border-bottom: 1px solid var(--attn-color-border-faint);
        white-space: nowrap;
      }
      td.hint-cell {
        white-space: normal;
        min-width: 14rem;
      }
      .smallest {
        border: 1px solid var(--attn-color-danger);
        border-radius: var(--attn-radius-control);
        padding: 0.35rem 0.6rem;
        margin: 0.4rem 0;
        font-size: 0.8rem;
      }
      .smallest pre {
        font-family: var(--attn-font-mono);
        font-size: 0.76rem;
        white-space: pre-wrap;
        margin: 0.2rem 0 0.4rem;
      }
      .coverage {
        font-size: 0.76rem;
        margin: 0.4rem 0;
      }
      .coverage ul {
        margin: 0.2rem 0;
        padding-left: 1.1rem;
      }
      tr.fail td,
      tr.timeout td,
      tr.error td {
        background: var(--attn-color-danger-row);
      }
    `,
  ];

  /** The finished report; null while the suite runs (or before). */
  @property({ attribute: false }) report: VerifyReport | null = null;
  /** The cases finished so far, while the suite runs. */
  @property({ attribute: false }) cases: readonly CaseReport[] = [];
  /** Why the verification could not run at all. */
  @property() error: string | null = null;
  /** The source of the kernel the report is about (loaded into the playground with its smallest case). */
  @property({ attribute: false }) source: string | null = null;

  override render() {
    if (this.error) return html`<p class="verdict fail" role="alert">${this.error}</p>`;
    const report = this.report;
    const cases = report?.cases ?? this.cases;
    if (!report && cases.length === 0) return nothing;
    const needsDevice = report?.status === 'device-lost' || report?.status === 'timeout';
    return html`
      ${report ? html`<p class="verdict ${report.status === 'pass' ? 'pass' : 'fail'}" role="status">${verdict(report)}</p>` : nothing}
      ${
        needsDevice
          ? html`<p class="muted">
              A kernel that hung or crashed can leave the GPU unusable.
              <button @click=${() => this.dispatchEvent(new CommandEvent('reconnect'))}>Reconnect the GPU</button>
            </p>`
          : nothing
      }
      ${
        report?.status === 'interface-error'
          ? html`<ul class="messages">
              ${report.interfaceProblems.map((p) => html`<li class="error">${p}</li>`)}
            </ul>`
          : nothing
      }
      ${report?.smallest ? this.renderSmallest(report, report.smallest) : nothing}
      ${report?.hints.map((h) => html`<div class="hint" data-hint=${h.id}><strong>${h.title}</strong>${h.detail}</div>`) ?? nothing}
      ${report?.warnings.map((w) => html`<div class="warning-note">${w}</div>`) ?? nothing}
      ${
        cases.length
          ? html` <div class="table" tabindex="0" role="region" aria-label="verification report">
              <table aria-label="verification report">
                <thead>
                  <tr>
                    ${REPORT_COLUMNS.map((c) => html`<th>${c}</th>`)}
                  </tr>
                </thead>
                <tbody>
                  ${cases.map((c) => {
                    const cells = reportCells(c);
                    return html`<tr class=${c.status} title=${`seed ${c.case.seed}`}>
                      ${cells.map((cell, i) => html`<td class=${i === cells.length - 1 ? 'hint-cell' : ''}>${cell}</td>`)}
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>`
          : nothing
      }
      ${
        report?.coverage && report.cases.length
          ? html`<details class="coverage" ?open=${report.status === 'pass'}>
              <summary>What ${report.status === 'pass' ? 'this PASS covers' : 'the cases covered'}</summary>
              <ul>
                ${formatCoverage(report.coverage).map((line) => html`<li>${line}</li>`)}
              </ul>
            </details>`
          : nothing
      }
    `;
  }

  private renderSmallest(report: VerifyReport, smallest: SmallestFailure) {
    const [title, ...details] = formatSmallest(smallest);
    const canLoad = smallest.row.status === 'fail';
    return html`<div class="smallest" aria-label="smallest failing case">
      <strong>${title.replace(/^smallest failing case: /, 'Smallest failing case: ')}</strong>
      <pre>${details.map((l) => l.trim()).join('\n')}</pre>
      ${
        canLoad
          ? html`<button
              class="load-case"
              title="Put this case's Q, K, V, mask and options into matrix mode, with this kernel, to see the failure in the playground"
              @click=${() =>
                this.dispatchEvent(
                  new LoadCaseEvent({ row: smallest.row, stage: report.stage, source: this.source, variant: report.variant }),
                )}
            >
              Load into playground
            </button>`
          : nothing
      }
    </div>`;
  }
}

function verdict(report: VerifyReport): string {
  if (report.status === 'compile-error') return `does not compile: ${compileErrorLines(report.compileMessages).join('; ')}`;
  if (report.status === 'interface-error') return 'does not fit the kernel interface';
  return reportSummary(report);
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-verify-report': AttnVerifyReport;
  }
}
