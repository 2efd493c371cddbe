import t from 'tap';
import { claimSeqs } from '../../cloud-ingest/store/seq-ranges.js';

t.test('seqs in no range are fresh and coalesce with their neighbours', async (t) => {
  t.same(claimSeqs([], [1, 2, 3]), { fresh: [true, true, true], ranges: [{ lo: 1, hi: 3 }] });
  t.same(claimSeqs([{ lo: 1, hi: 3 }], [4, 5]), { fresh: [true, true], ranges: [{ lo: 1, hi: 5 }] });
  t.same(claimSeqs([{ lo: 5, hi: 9 }], [4]), { fresh: [true], ranges: [{ lo: 4, hi: 9 }] });
  t.same(claimSeqs([{ lo: 1, hi: 3 }, { lo: 7, hi: 9 }], [4, 5, 6]), { fresh: [true, true, true], ranges: [{ lo: 1, hi: 9 }] });
});

t.test('seqs inside a range are duplicates; gaps stay gaps', async (t) => {
  t.same(claimSeqs([{ lo: 1, hi: 3 }, { lo: 10, hi: 12 }], [2, 4, 11, 13, 20]), {
    fresh: [false, true, false, true, true],
    ranges: [{ lo: 1, hi: 4 }, { lo: 10, hi: 13 }, { lo: 20, hi: 20 }],
  });
  t.same(claimSeqs([{ lo: 1, hi: 3 }], [2]), { fresh: [false], ranges: [{ lo: 1, hi: 3 }] });
});

t.test('a seq repeated in one claim is fresh once', async (t) => {
  t.same(claimSeqs([], [7, 7, 8]), { fresh: [true, false, true], ranges: [{ lo: 7, hi: 8 }] });
});

t.test('ranges beyond the seqs are kept as they are', async (t) => {
  t.same(claimSeqs([{ lo: 0, hi: 0 }, { lo: 50, hi: 60 }], [10]).ranges, [{ lo: 0, hi: 0 }, { lo: 10, hi: 10 }, { lo: 50, hi: 60 }]);
});
