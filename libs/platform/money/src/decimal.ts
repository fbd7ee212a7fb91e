import { Decimal as DecimalJs } from 'decimal.js';

/**
 * The one decimal type for money. A clone, so that our settings never leak into (or are changed by)
 * other users of decimal.js in the process, such as Prisma.
 *
 * - precision 60: amounts have at most 18 integer digits and 4 decimal places, so sums and products
 *   of any realistic number of amounts stay exact; nothing is rounded silently.
 * - ROUND_HALF_EVEN: banker's rounding, unbiased when a rate or split really has to round.
 * - toExpNeg/toExpPos at decimal.js's limits: `toString()` never switches to exponent notation, so a
 *   value can be handed to Postgres (`$1::numeric`) or a JSON response as it is.
 */
export const Decimal = DecimalJs.clone({
  precision: 60,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});

/** An instance of {@link Decimal}. */
export type Decimal = DecimalJs;
