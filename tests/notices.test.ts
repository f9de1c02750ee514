import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { INFO_MS, NoticeController } from '../src/ui/notice-controller';
import type { Notice } from '../src/ui/notice-controller';

function controller() {
  const host = {
    addController: () => undefined,
    requestUpdate: vi.fn(),
    removeController: () => undefined,
    updateComplete: Promise.resolve(true),
  };
  return { notices: new NoticeController(host), host };
}
const texts = (ns: readonly Notice[]) => ns.map((n) => n.text);

describe('NoticeController', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('shows one current error: the newest replaces the previous, which goes to the earlier list', () => {
    const { notices } = controller();
    notices.notify('error', 'bad file');
    notices.notify('error', 'bad link');
    notices.notify('error', 'bad paste');
    expect(texts(notices.notices)).toEqual(['bad paste']);
    expect(texts(notices.earlier)).toEqual(['bad link', 'bad file']);
  });

  it('rewrites the notices on show and the earlier ones (a timeout once the new device is ready); nothing to rewrite, no update', () => {
    const { notices, host } = controller();
    notices.notify('error', 'The GPU run timed out. The device is being replaced.');
    notices.notify('error', 'bad link');
    notices.notify('info', 'The device is being replaced.', 'gpu-info');
    host.requestUpdate.mockClear();
    const replaced = (t: string) => t.replace('is being replaced', 'has been replaced');
    notices.rewrite(replaced);
    expect(texts(notices.notices)).toEqual(['bad link', 'The device has been replaced.']);
    expect(texts(notices.earlier)).toEqual(['The GPU run timed out. The device has been replaced.']);
    expect(host.requestUpdate).toHaveBeenCalledTimes(1);
    notices.rewrite(replaced);
    expect(host.requestUpdate).toHaveBeenCalledTimes(1);
  });

  it('keeps at most five earlier errors, and the same text never twice', () => {
    const { notices } = controller();
    for (let i = 0; i < 8; i++) notices.notify('error', `problem ${i}`);
    notices.notify('error', 'problem 6');
    expect(texts(notices.notices)).toEqual(['problem 6']);
    expect(texts(notices.earlier)).toEqual(['problem 7', 'problem 5', 'problem 4', 'problem 3', 'problem 2']);
  });

  it('closes information by itself, and errors only when asked', () => {
    const { notices } = controller();
    notices.notify('error', 'bad file');
    notices.notify('info', 'link copied');
    expect(texts(notices.notices)).toEqual(['bad file', 'link copied']);
    vi.advanceTimersByTime(INFO_MS);
    expect(texts(notices.notices)).toEqual(['bad file']);
    notices.dismiss(notices.notices[0].id);
    expect(notices.notices).toEqual([]);
  });

  it('keeps lasting information until its source is cleared or it is closed, outside the three shown', () => {
    const { notices } = controller();
    notices.notify('info', 'another tab saved', 'other-tab', { lasting: true });
    for (let i = 0; i < 4; i++) notices.notify('info', `info ${i}`);
    expect(texts(notices.notices)).toEqual(['another tab saved', 'info 1', 'info 2', 'info 3']);
    vi.advanceTimersByTime(INFO_MS * 10);
    expect(texts(notices.notices)).toEqual(['another tab saved']);
    notices.clear('other-tab');
    expect(notices.notices).toEqual([]);
    notices.notify('info', 'another tab saved', 'other-tab', { lasting: true });
    notices.dismiss(notices.notices[0].id);
    expect(notices.notices).toEqual([]);
  });

  it('keeps a notice with actions until it is closed, and hands its actions on', () => {
    const { notices } = controller();
    const run = vi.fn();
    notices.notify('info', 'saved state kept aside', 'saved', { actions: [{ label: 'Download it', run }] });
    vi.advanceTimersByTime(INFO_MS * 10);
    expect(texts(notices.notices)).toEqual(['saved state kept aside']);
    expect(notices.notices[0].lasting).toBe(true);
    notices.notices[0].actions![0].run();
    expect(run).toHaveBeenCalledOnce();
    // An empty list of actions is no reason to stay.
    notices.notify('info', 'plain', undefined, { actions: [] });
    vi.advanceTimersByTime(INFO_MS);
    expect(texts(notices.notices)).toEqual(['saved state kept aside']);
  });

  it('shows at most three pieces of information, the newest', () => {
    const { notices } = controller();
    for (let i = 0; i < 5; i++) notices.notify('info', `info ${i}`);
    expect(texts(notices.notices)).toEqual(['info 2', 'info 3', 'info 4']);
  });

  it.each([
    ['a clear of that source', (n: NoticeController) => n.clear('matrix:q'), [] as string[]],
    ['a success notice from that source', (n: NoticeController) => n.notify('info', 'Imported q.npy', 'matrix:q'), ['Imported q.npy']],
    ['a new error from that source', (n: NoticeController) => n.notify('error', 'row 2 is short', 'matrix:q'), ['row 2 is short']],
  ])('an error with a source is replaced by %s', (_, act, shown) => {
    const { notices } = controller();
    notices.notify('error', 'bad paste', 'matrix:q');
    act(notices);
    expect(texts(notices.notices)).toEqual(shown);
    expect(notices.earlier).toEqual([]);
  });

  it('a clear takes the source’s earlier errors too, and leaves other sources alone', () => {
    const { notices } = controller();
    notices.notify('error', 'bad paste in Q', 'matrix:q');
    notices.notify('error', 'bad paste in K', 'matrix:k');
    notices.clear('matrix:q');
    expect(texts(notices.notices)).toEqual(['bad paste in K']);
    expect(notices.earlier).toEqual([]);
    notices.clear('gpu');
    expect(texts(notices.notices)).toEqual(['bad paste in K']);
  });

  it('asks the host to redraw only when something changed', () => {
    const { notices, host } = controller();
    notices.clear('nothing');
    notices.dismiss(42);
    expect(host.requestUpdate).not.toHaveBeenCalled();
    notices.notify('error', 'x');
    expect(host.requestUpdate).toHaveBeenCalledTimes(1);
  });

  it('stops its timers when the host goes', () => {
    const { notices } = controller();
    notices.notify('info', 'soon gone');
    notices.hostDisconnected();
    expect(vi.getTimerCount()).toBe(0);
  });
});
