import type { Database } from '@ledgerline/db';

/** What the auth plugin asks of every authenticated request: is the token's client disabled? */
export interface DisabledClientCheck {
  /** False until the list has been read once: until then no client can be told enabled. */
  isKnown(): boolean;
  has(client_id: string): boolean;
}

/** The disabled API clients, as this process last read them. */
export interface DisabledClients extends DisabledClientCheck {
  /**
   * Reads them now and every `refresh_ms` from then on (a read that fails is reported, not thrown).
   * Resolves once the first read is done, whether it succeeded or failed; never rejects.
   */
  start(): Promise<void>;
  /** Stops reading; the last set is kept. */
  stop(): void;
}

export interface DisabledClientsOptions {
  db: Database;
  /** How often the set is read again: the longest a disabled client's live token still works. */
  refresh_ms: number;
  /** Told when a read fails (the last set stays in use until one succeeds). */
  on_refresh_failed?: (error: unknown) => void;
}

/**
 * Tokens are verified without the database (a signature, `exp`, and this process's cache of verified
 * tokens), so disabling a client in `api_clients` alone would leave its tokens working until they
 * expire. Every API process therefore reads the disabled clients every `refresh_ms` and the auth
 * plugin refuses their tokens, cached or not: disabling a client shuts it out within that interval.
 *
 * One small read per interval: the table holds a row per client, not per token. An API awaits
 * `start()` before it listens, so a restarted process serves no request before it knows the list. Should
 * that first read fail (a process started while Postgres was down), `isKnown()` stays false until a read
 * succeeds and the auth plugin answers every bearer token with 503: failing closed, because a disabled
 * client must not get in through a route that needs no database (ops-api's queue controls).
 */
export function watchDisabledClients(options: DisabledClientsOptions): DisabledClients {
  // Undefined until the first read succeeds: unknown, which is not the same as none disabled.
  let disabled: ReadonlySet<string> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let started = false;

  async function refresh(): Promise<void> {
    const rows = await options.db.apiClient.findMany({
      where: { disabledAt: { not: null } },
      select: { clientId: true },
    });
    disabled = new Set(rows.map((row) => row.clientId));
  }

  function readThenSchedule(): Promise<void> {
    return refresh()
      .catch((error: unknown) => options.on_refresh_failed?.(error))
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(() => void readThenSchedule(), options.refresh_ms);
        // Never what keeps a process alive.
        timer.unref();
      });
  }

  return {
    isKnown: () => disabled !== undefined,
    has: (client_id) => disabled?.has(client_id) ?? false,
    async start() {
      if (started || stopped) return;
      started = true;
      await readThenSchedule();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
