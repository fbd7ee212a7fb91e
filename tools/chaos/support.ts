/** The statuses a transfer never leaves. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['posted', 'rejected', 'voided']);
