import { describe, expect, it } from 'vitest';
import { CommitMarks } from './commit-marks.js';

const published = (marks: CommitMarks, n: number): void => {
  for (let i = 0; i < n; i++) marks.recordPublished();
};

describe('CommitMarks', () => {
  it('makes an offset due only once every record published before its mark is acknowledged', () => {
    const marks = new CommitMarks();
    published(marks, 3);
    marks.mark('t', 0, '10');
    published(marks, 2);
    marks.mark('t', 1, '7');
    marks.recordsAcknowledged(2);
    expect(marks.takeDue()).toEqual([]);
    marks.recordsAcknowledged(1);
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 0, offset: '10' }]);
    expect(marks.takeDue()).toEqual([]);
    marks.recordsAcknowledged(2);
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 1, offset: '7' }]);
  });

  it('commits the latest due offset of each partition in one go', () => {
    const marks = new CommitMarks();
    marks.mark('t', 0, '5');
    marks.mark('u', 0, '3');
    marks.mark('t', 0, '9');
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 0, offset: '9' }, { topic: 'u', partition: 0, offset: '3' }]);
  });

  it('retries a refused offset, superseded by a later due mark of its partition and never moving it back', () => {
    const marks = new CommitMarks();
    marks.mark('t', 0, '5');
    const refused = marks.takeDue();
    marks.retry(refused);
    marks.mark('t', 0, '8');
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 0, offset: '8' }]);
    // A refused offset whose later mark is not due yet is committed alone first.
    marks.retry([{ topic: 't', partition: 1, offset: '2' }]);
    marks.recordPublished();
    marks.mark('t', 1, '4');
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 1, offset: '2' }]);
    marks.recordsAcknowledged(1);
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 1, offset: '4' }]);
  });

  it('drops the marks of partitions no longer assigned', () => {
    const marks = new CommitMarks();
    marks.mark('t', 0, '5');
    marks.mark('t', 1, '6');
    marks.mark('u', 0, '7');
    marks.keepAssigned({ t: [1], v: [0] });
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 1, offset: '6' }]);
  });

  it('does not retry the refused offsets of partitions another member took meanwhile', () => {
    const marks = new CommitMarks();
    marks.mark('t', 0, '5');
    marks.mark('t', 1, '6');
    const inFlight = marks.takeDue();
    // A rebalance while the commit was in flight: t-0 went to another member, and the commit was refused.
    marks.keepAssigned({ t: [1] });
    marks.retry(inFlight);
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 1, offset: '6' }]);
  });
});

