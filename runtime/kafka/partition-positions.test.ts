import { describe, expect, it } from 'vitest';
import { PartitionPositions } from './partition-positions.js';

/** Positions after a rebuild of books 0-1 and resolutions 0, planned from offsets 10, 20 and 5, rebuilding books up to 15 and 20 and resolutions up to 8. */
function rebuilt(): PartitionPositions {
  const positions = new PartitionPositions();
  positions.rebuild({
    seeks: [
      { topic: 'book', partition: 0, offset: '10' },
      { topic: 'book', partition: 1, offset: '20' },
      { topic: 'res', partition: 0, offset: '5' },
    ],
    until: new Map([
      ['book:0', 15n],
      ['book:1', 21n],
      ['res:0', 8n],
    ]),
  });
  return positions;
}

describe('PartitionPositions', () => {
  it("starts each partition of a rebuild at its seek, and moves it past what the operators saw", () => {
    const positions = rebuilt();
    expect(positions.assigned).toEqual(['book:0', 'book:1', 'res:0']);
    expect(positions.of('book', 0)).toBe(10n);
    positions.passed('book', 0, '12');
    expect(positions.of('book', 0)).toBe(13n);
    expect(positions.rebuildBound('book', 0)).toBe(15n);
    expect(positions.rebuildBound('other', 0)).toBeUndefined();
    expect(positions.snapshot()).toEqual(new Map([['book:0', 13n], ['book:1', 20n], ['res:0', 5n]]));
  });

  it('counts a topic set as rebuilding only while every assigned partition of it is below its bound', () => {
    const positions = rebuilt();
    const books = new Set(['book']);
    expect(positions.allRebuilding(books, 'book:0', 11n)).toBe(true);
    // The record in hand takes book:1 to its bound.
    expect(positions.allRebuilding(books, 'book:1', 21n)).toBe(false);
    positions.passed('book', 1, '20');
    expect(positions.allRebuilding(books, 'book:0', 11n)).toBe(false);
    expect(positions.allRebuilding(new Set(['res']), 'book:0', 11n)).toBe(true);
    // No assigned partition of the topics: nothing is being rebuilt.
    expect(positions.allRebuilding(new Set(['other']), 'book:0', 11n)).toBe(false);
  });

  it('resumes only the assignment it holds, and only where it has a position in every partition', () => {
    const positions = rebuilt();
    const same = [
      { topic: 'res', partition: 0 },
      { topic: 'book', partition: 0 },
      { topic: 'book', partition: 1 },
    ];
    positions.passed('res', 0, '6');
    expect(positions.resumeSeeks(same)).toEqual([
      { topic: 'res', partition: 0, offset: '7' },
      { topic: 'book', partition: 0, offset: '10' },
      { topic: 'book', partition: 1, offset: '20' },
    ]);
    expect(positions.resumeSeeks(same.slice(1))).toBeUndefined();
    expect(positions.resumeSeeks([...same.slice(1), { topic: 'res', partition: 1 }])).toBeUndefined();
    expect(positions.resumeSeeks([])).toBeUndefined();
    // Gone on from the committed offsets: where the operators are is not known any more.
    positions.forget();
    expect(positions.resumeSeeks(same)).toBeUndefined();
    expect(positions.of('book', 0)).toBeUndefined();
  });
});
