/**
 * Memory mode's state (src/core/state.ts): a link restores it, a state from before memory mode
 * reads the default example, and a link with bad memory fields is refused naming the field; the
 * page's controller runs what the state holds (src/ui/memory-controller.ts memoryRunOf).
 */
import { describe, expect, it } from 'vitest';
import { decodeState, defaultState, encodeState, parseState } from '../src/core/state';
import { DEFAULT_FACTS } from '../src/core/memory-facts';
import { memoryRunOf } from '../src/ui/memory-controller';

describe('memory state', () => {
  it('round-trips through a link', () => {
    const s = defaultState();
    const memory = {
      ...s.memory,
      facts: 'John picked up the milk\nJohn went to the office',
      question: 'where is the milk?',
      hops: 3,
      update: 'residual' as const,
      rotation: [[1]],
      temperature: 0.2,
    };
    const back = decodeState(encodeState({ ...s, mode: 'memory', memory }));
    expect(back.mode).toBe('memory');
    expect(back.memory).toEqual(memory);
  });

  it('a state from before memory mode reads the default example', () => {
    const { memory: _, ...old } = defaultState();
    const back = parseState(JSON.parse(JSON.stringify(old)));
    expect(back.memory.facts.split('\n')).toEqual([...DEFAULT_FACTS]);
    expect(back.memory.hops).toBe(2);
    expect(back.memory.update).toBe('rotate');
  });

  it.each([
    { name: 'hops 0', memory: { hops: 0 }, message: 'state.memory.hops must be an integer from 1 to 16' },
    { name: 'hops 17', memory: { hops: 17 }, message: 'state.memory.hops must be an integer from 1 to 16' },
    { name: 'an unknown update', memory: { update: 'spin' }, message: 'state.memory.update must be one of residual, rotate' },
    { name: 'temperature 0', memory: { temperature: 0 }, message: 'state.memory.temperature must be a positive finite number' },
    { name: 'a ragged R', memory: { rotation: [[1, 0], [0]] }, message: 'state.memory.rotation' },
  ])('a link with $name is refused', ({ memory, message }) => {
    const s = defaultState();
    expect(() => parseState(JSON.parse(JSON.stringify({ ...s, memory: { ...s.memory, ...memory } })))).toThrow(message);
  });

  it.each([
    { name: 'the default', change: {}, answer: 'kitchen' },
    {
      name: 'an R of the wrong size',
      change: {
        rotation: [
          [1, 0],
          [0, 1],
        ],
      },
      error: 'R is 2×2 but must be d×d = 13×13',
    },
    { name: 'an unknown word', change: { facts: 'John went to the moon' }, error: 'unknown place "moon" in fact 1' },
  ])('the controller runs what the state holds: $name', ({ change, answer, error }) => {
    const memory = { ...defaultState().memory, ...change };
    if (error) expect(() => memoryRunOf(memory)).toThrow(error);
    else expect(memoryRunOf(memory).answer.place).toBe(answer);
  });
});
