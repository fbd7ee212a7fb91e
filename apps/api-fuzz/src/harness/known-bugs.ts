/**
 * Contract breaks the campaign found and reported, each pinned by a `BUG:` test in api-fuzz.test.ts.
 * While one is open the fuzz properties tolerate exactly its signature (and still check everything
 * else about the answer: no leak, a problem body, the database unchanged), so that they keep hunting
 * for new failures instead of stopping at a known one. Delete an entry once its BUG test passes.
 */
import type { Answer, SentRequest } from './oracle';

export interface KnownBug {
  name: string;
  /** Whether this exchange is the known bug; `violation` is the oracle's complaint being excused. */
  matches(request: SentRequest, response: Answer, violation: string): boolean;
}

export const KNOWN_BUGS: readonly KnownBug[] = [];

/** The known bug an exchange shows for `violation`, if any. */
export function knownBugFor(request: SentRequest, response: Answer, violation: string): KnownBug | undefined {
  return KNOWN_BUGS.find((bug) => bug.matches(request, response, violation));
}
