/**
 * What the `sanctions_rescreen` report needs of the sanctions library: the newest loaded list, and
 * rescreening every customer against a list, which sets each `customers.sanctions_status`. The
 * report's runner receives an implementation; the sanctions library provides the real one.
 */
export interface SanctionsRescreen {
  /** The version of the newest loaded sanctions list, or null when none was ever loaded. */
  latestListVersion(): Promise<number | null>;
  /**
   * Screens every customer against list `list_version`, setting each one's `sanctions_status`, and
   * returns the counts. Safe to run again (a redelivered report job does). `on_progress` is called as
   * customers are screened, with how many are done out of how many.
   */
  rescreenAll(
    list_version: number,
    options?: { on_progress?: (screened: number, total: number) => void | Promise<void> },
  ): Promise<{ screened: number; clear: number; potential_match: number; confirmed_match: number }>;
}
