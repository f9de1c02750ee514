/**
 * <attn-memory-view>: memory mode's results — the weights of every hop on every fact (one heatmap,
 * a row per hop), the query path (the vocabulary words active in q_t and o_t), the answer with
 * every place's score, each hop's GPU result against the float64 reference from the GPU's own
 * q_t, and what the example shows, after the seeds' history of attention.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { joinSentences } from '../core/errors';
import type { MemoryHop } from '../core/memory';
import { activeWords, answerOf } from '../core/memory-facts';
import type { MemoryView } from './memory-controller';
import { panelStyles } from './styles';
import './attn-heatmap';
import { WidthController } from './width-controller';

const fixed = (x: number, digits = 3) => x.toFixed(digits);
const words = (v: ArrayLike<number>) =>
  activeWords(v)
    .map((w) => `${w.word} ${fixed(w.value, 2)}`)
    .join(', ') || '—';

@customElement('attn-memory-view')
export class AttnMemoryView extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        display: block;
      }
      /* A table wider than a phone scrolls inside its own box, not the page. */
      .scroll {
        overflow-x: auto;
        max-width: 100%;
      }
      table {
        border-collapse: collapse;
        font-size: 0.85rem;
        margin: 0.25rem 0 0.75rem;
      }
      th,
      td {
        border: 1px solid var(--attn-color-border-table);
        padding: 0.2rem 0.5rem;
        text-align: left;
      }
      .problem {
        color: var(--attn-color-danger-text);
        border: 1px solid var(--attn-color-danger);
        padding: 0.5rem 0.75rem;
        margin-bottom: 0.75rem;
      }
      .pass {
        color: var(--attn-color-success-text);
      }
      .fail {
        color: var(--attn-color-danger-text);
      }
      .answer {
        font-size: 1.1rem;
      }
      p {
        font-size: 0.9rem;
        max-width: 48rem;
      }
    `,
  ];

  @property({ attribute: false }) view: MemoryView | null = null;
  /** Our own width: the weights map fits it (a phone's 360 px included). */
  private readonly size = new WidthController(this);

  override render() {
    const v = this.view;
    const o = v?.outcome ?? null;
    return html`
      ${v?.error ? html`<div class="problem" role="alert" id="memory-error"><strong>Not run:</strong> ${joinSentences(v.error, o && 'The results below are from the last valid input.')}</div>` : nothing}
      ${o ? this.renderOutcome() : html`<p>${v?.running ? 'Reading the memory…' : 'No result yet.'}</p>`} ${this.renderExplanation()}
    `;
  }

  private renderOutcome() {
    const o = this.view!.outcome!;
    const { cpu, gpu } = o;
    const hops: MemoryHop[] = gpu ? gpu.hops.map((h) => h.gpu) : cpu.hops;
    const m = cpu.facts.length;
    const weights = new Float64Array(hops.length * m);
    hops.forEach((hop, t) => weights.set(hop.weights, t * m));
    const answer = answerOf(hops[hops.length - 1].output);
    return html`
      <div class="panel" id="memory-answer">
        <h2>Answer</h2>
        <p class="answer">
          "where is the ${cpu.object}?" →
          <strong data-answer=${answer.place ?? ''}>${answer.place ?? 'no place (no place scores ≥ 0.5 in the final output)'}</strong>
        </p>
        <div class="scroll" tabindex="0" role="region" aria-label="each place's score">
          <table id="memory-place-scores">
            <tr>
              <th>place</th>
              ${answer.scores.map((s) => html`<th>${s.place}</th>`)}
            </tr>
            <tr>
              <td>score (entry of o_${hops.length})</td>
              ${answer.scores.map((s) => html`<td>${fixed(s.score)}</td>`)}
            </tr>
          </table>
        </div>
        ${cpu.ungrounded ? html`<p id="memory-ungrounded" role="note">Note: ${cpu.ungrounded}.</p>` : nothing}
      </div>
      <attn-heatmap
        id="memory-weights"
        heading="Weights p_t per hop (${gpu ? 'GPU' : 'float64'})"
        caption="each hop's weight on each fact: rows are hops, columns the facts (memory slots); each row sums to 1"
        .values=${weights}
        rows=${hops.length}
        cols=${m}
        .rowLabels=${hops.map((_, t) => `hop ${t + 1}`)}
        .colLabels=${cpu.facts.map((f) => f.text)}
        colour="probability"
        row-axis="hop"
        col-axis="fact"
        file-name="memory-weights"
        max-width=${Math.min(560, this.size.width)}
      ></attn-heatmap>
      <div class="panel">
        <h2>Query path</h2>
        <div class="scroll" tabindex="0" role="region" aria-label="the query's path">
          <table id="memory-path">
            <tr>
              <th>hop</th>
              <th>q_t (active words)</th>
              <th>fact read most</th>
              <th>o_t (active words)</th>
            </tr>
            ${hops.map((hop, t) => {
              const best = hop.weights.indexOf(Math.max(...hop.weights));
              return html`<tr data-hop=${t + 1}>
                <td>${t + 1}</td>
                <td>${words(hop.query)}</td>
                <td data-fact=${best}>${cpu.facts[best].text} (${fixed(hop.weights[best])})</td>
                <td>${words(hop.output)}</td>
              </tr>`;
            })}
          </table>
        </div>
      </div>
      ${this.renderVerdict()}
    `;
  }

  private renderVerdict() {
    const { gpu, gpuError } = this.view!.outcome!;
    if (!gpu)
      return html`<div class="panel" id="memory-verdict">
        <h2>GPU vs CPU</h2>
        <p>Not run on the GPU: ${gpuError}</p>
      </div>`;
    return html`<div class="panel" id="memory-verdict" data-pass=${String(gpu.pass)}>
      <h2>GPU vs CPU, per hop</h2>
      <p>Each hop on the GPU against the float64 reference computed from the GPU's own q_t (tolerances derived per stage).</p>
      <table>
        <tr>
          <th>hop</th>
          <th>weights max |Δ|</th>
          <th>output max |Δ|</th>
          <th>verdict</th>
        </tr>
        ${gpu.hops.map(
          (h, t) =>
            html`<tr>
              <td>${t + 1}</td>
              <td>${h.check.probs ? h.check.probs.maxAbs.toExponential(2) : 'n/a'}</td>
              <td>${h.check.output.maxAbs.toExponential(2)}</td>
              <td class=${h.check.pass ? 'pass' : 'fail'} data-hop-verdict=${t + 1}>${h.check.pass ? 'pass' : 'FAIL'}</td>
            </tr>`,
        )}
      </table>
      <p>
        End to end (GPU chain against the float64 chain from q₁): output max |Δ| ${gpu.endToEnd.output.toExponential(2)}, weights max |Δ|
        ${gpu.endToEnd.weights.toExponential(2)}.
      </p>
    </div>`;
  }

  private renderExplanation() {
    return html`<div class="panel" id="memory-explanation">
      <h2>What this is</h2>
      <p>
        The seeds' history of attention ("Attention's Origin Story") traces attention to memories: "Memory Networks — store facts as memory
        slots → End-to-End Memory Networks — multi-hop reasoning over memory → Key–Value Memory Networks — separate keys for matching,
        values for retrieval". Here every fact is a slot with a key and a value over a one-hot vocabulary: "PERSON picked up the OBJECT" has
        key OBJECT and value PERSON; "PERSON went to the PLACE" has key PERSON and value PLACE. The question "where is the OBJECT?" is q₁ =
        OBJECT. Each hop is one attention call with a single query: p_t = softmax(q_t·Kᵀ / T), o_t = p_t V.
      </p>
      <p>
        Hop 1 finds who picked the object up (o₁ ≈ PERSON); hop 2 asks where that person went (o₂ ≈ PLACE). A later fact's key is a little
        longer (1 + j/4 times its word), so the person's latest move wins; temperature 0.1 makes the softmax sharp.
      </p>
      <p>
        <strong>Why R is the default.</strong> With q ← q + o, q₂ = OBJECT + PERSON still holds the object, so hop 2 is drawn back to the
        pickup fact as strongly as to the person's moves: if the pickup came after the last move, hop 2 reads the pickup again and the
        answer is a person, not a place. The default R keeps the person and place dimensions and drops the object ones, so q₂ = R·(q₁ + o₁)
        ≈ PERSON and hop 2 can only follow the person.
      </p>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-memory-view': AttnMemoryView;
  }
}
