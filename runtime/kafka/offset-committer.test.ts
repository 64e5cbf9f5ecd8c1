import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CommitMarks, type PartitionOffset } from './commit-marks.js';
import { OffsetCommitter } from './offset-committer.js';

/** A committer over fresh marks whose commits are recorded, answered when `answer` says. */
function harness(intervalMs: number, opts: { refuse?: () => boolean; paused?: () => boolean; maxUncommitted?: number } = {}) {
  const marks = new CommitMarks();
  const commits: PartitionOffset[][] = [];
  let answer: (() => void) | undefined;
  const committer = new OffsetCommitter(
    marks,
    {
      commit: (offsets) => {
        commits.push([...offsets]);
        const refused = opts.refuse?.() === true;
        if (refused) marks.retry(offsets);
        return new Promise<boolean>((resolve) => (answer = () => resolve(!refused)));
      },
      paused: opts.paused ?? (() => false),
      flush: () => Promise.resolve(),
    },
    { intervalMs, maxUncommitted: opts.maxUncommitted ?? 1_000 },
  );
  /** The broker answers the commit in flight. */
  const answered = async (): Promise<void> => {
    answer?.();
    answer = undefined;
    await Promise.resolve();
    await Promise.resolve();
  };
  /** The second commit goes exactly `ms` from now, with these offsets. */
  const secondCommitIn = (ms: number, offsets: PartitionOffset[]): void => {
    vi.advanceTimersByTime(ms - 1);
    expect(commits).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(commits[1]).toEqual(offsets);
  };
  /** A first commit (partition 0 to offset 1) went and was answered: the interval runs from now. */
  const firstCommitDone = async (): Promise<void> => {
    marks.mark('t', 0, '1');
    committer.commitDue();
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '1' }]]);
    await answered();
  };
  return { marks, commits, committer, answered, secondCommitIn, firstCommitDone };
}

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
afterEach(() => vi.useRealTimers());

describe('OffsetCommitter', () => {
  it('commits at once, then what comes due within the interval in one commit when it is up', async () => {
    const { marks, committer, secondCommitIn, firstCommitDone } = harness(100);
    await firstCommitDone();
    for (let offset = 2; offset <= 40; offset++) {
      vi.advanceTimersByTime(2);
      marks.mark('t', offset % 2, String(offset));
      committer.commitDue();
    }
    // 78 ms since the first commit: the 39 batches since wait for the interval.
    secondCommitIn(22, [
      { topic: 't', partition: 0, offset: '40' },
      { topic: 't', partition: 1, offset: '39' },
    ]);
  });

  it('commits without waiting out the interval once maxUncommitted records were published since the last commit', async () => {
    const { marks, commits, committer, answered, firstCommitDone } = harness(100, { maxUncommitted: 10 });
    await firstCommitDone();
    for (let i = 0; i < 9; i++) marks.recordPublished();
    marks.recordsAcknowledged(9);
    marks.mark('t', 0, '2');
    committer.commitDue();
    expect(commits).toHaveLength(1);
    marks.recordPublished();
    marks.recordsAcknowledged(1);
    marks.mark('t', 0, '3');
    committer.commitDue();
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '1' }], [{ topic: 't', partition: 0, offset: '3' }]]);
    await answered();
    // The waiting commit went with it: nothing more when the interval is up.
    vi.advanceTimersByTime(100);
    expect(commits).toHaveLength(2);
  });

  it('with no interval commits after every batch, a batch during a commit right after it', async () => {
    const { marks, commits, committer, answered } = harness(0);
    marks.mark('t', 0, '1');
    committer.commitDue();
    marks.mark('t', 0, '2');
    committer.commitDue();
    expect(commits).toHaveLength(1);
    await answered();
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '1' }], [{ topic: 't', partition: 0, offset: '2' }]]);
  });

  it('tries a refused commit again after a pause when no batch comes, with the marks made since', async () => {
    let refuse = true;
    const { marks, committer, answered, secondCommitIn } = harness(0, { refuse: () => refuse });
    marks.mark('t', 0, '5');
    committer.commitDue();
    await answered();
    refuse = false;
    marks.mark('t', 1, '3');
    secondCommitIn(200, [
      { topic: 't', partition: 0, offset: '5' },
      { topic: 't', partition: 1, offset: '3' },
    ]);
  });

  it('commits everything at once on commitAll, without waiting for the interval, and drops the waiting commit', async () => {
    const { marks, commits, committer, answered, firstCommitDone } = harness(1_000);
    await firstCommitDone();
    marks.mark('t', 0, '2');
    committer.commitDue();
    const all = committer.commitAll();
    await Promise.resolve();
    await Promise.resolve();
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '1' }], [{ topic: 't', partition: 0, offset: '2' }]]);
    await answered();
    await all;
    vi.advanceTimersByTime(2_000);
    expect(commits).toHaveLength(2);
  });

  it('commits nothing once closed, not even what waited for the interval', async () => {
    const { marks, commits, committer, firstCommitDone } = harness(100);
    await firstCommitDone();
    marks.mark('t', 0, '2');
    committer.commitDue();
    committer.close();
    vi.advanceTimersByTime(1_000);
    committer.commitDue();
    expect(commits).toHaveLength(1);
  });

  it('commits nothing while paused', () => {
    let paused = true;
    const { marks, commits, committer } = harness(0, { paused: () => paused });
    marks.mark('t', 0, '1');
    committer.commitDue();
    expect(commits).toEqual([]);
    paused = false;
    committer.commitDue();
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '1' }]]);
  });
});
