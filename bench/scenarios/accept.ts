import type { PlatformApp } from '@ledgerline/processes';
import type { BenchContext, Scenario } from '../lib/context';
import { closedLoop, openLoop, type LoadResult } from '../lib/open-loop';
import type { Platform } from '../lib/platform';
import { insertAccounts, type TransferPair } from '../lib/seed';
import {
  acceptedIdCollector,
  postingStats,
  transferRequest,
  waitForFinal,
  waitForQuiet,
  type PostingStats,
} from '../lib/transfers';
import { roundRobinPairs } from '../lib/workload';

const REQUEST_TIMEOUT_MS = 10_000;
/** Bound of the one-at-a-time measurement (it also stops after the HTTP duration). */
const SERIAL_REQUESTS_MAX = 5_000;
const PIPELINE_APPS: readonly PlatformApp[] = ['outbox-relay', 'compliance-worker', 'ledger-worker'];

interface StepRun {
  rate_per_second: number;
  load: LoadResult;
}

/**
 * `POST /v1/transfers` through the base URL: first one request at a time (the unloaded latency), then
 * open loop at a fixed rate (1,000/s), a few seconds unmeasured to warm up and then measured: accepted/s and
 * p50/p99 latency from the moment each request was due. With the workers present, the same transfers
 * are followed to `posted` for the accept-to-posted latency at that rate. The full run then looks for
 * the highest rate whose p99 stays under the limit: stepping up from 1,000/s while it holds, or, when
 * 1,000/s does not, halving the interval below it four times (to within about 60/s), letting the pipeline
 * drain between steps so one step's backlog does not slow the next.
 */
export const accept: Scenario = {
  name: 'accept',
  title: 'Accept: POST /v1/transfers open-loop at 1,000/s (and accept-to-posted)',
  async run(context) {
    const platform = await context.platform();
    platform.require('accounts-api', 'transactions-api', 'gateway');
    const { rate_per_second, warmup_s, duration_s, step_rates, search_steps, step_duration_s, p99_limit_ms } =
      context.settings.accept;
    const connections = context.settings.open_loop_connections;
    const pipeline = PIPELINE_APPS.every((app) => platform.processes.has(app));

    // Accounts of this scenario alone; sources in turn keep every account under compliance's velocity limit.
    const offered_total =
      SERIAL_REQUESTS_MAX +
      rate_per_second * (warmup_s + duration_s) +
      Math.max(
        step_rates.reduce((sum, rate) => sum + rate * step_duration_s, 0),
        search_steps * rate_per_second * step_duration_s,
      );
    const accounts = await insertAccounts(
      platform.pool,
      await platform.createCustomer(),
      context.settings.end_to_end.accounts,
    );
    const pairs = roundRobinPairs(accounts, offered_total);
    let next_pair = 0;
    const takePairs = (count: number) => pairs.slice(next_pair, (next_pair += count));
    const settle = async () => {
      if (pipeline && !(await waitForQuiet(platform.pool, context.settings.drain_deadline_s))) {
        context.log(
          'accept: the pipeline did not go quiet before the deadline; the next figures carry its backlog',
        );
      }
    };

    // One request at a time first: the unloaded latency, and the warm-up of every process on the path.
    // When this rate is close to the 16-connection one, something serializes the requests.
    const serial = await sendClosedLoop(platform, context, takePairs(SERIAL_REQUESTS_MAX));
    await settle();

    // Then the rate itself, unmeasured: a process answers its first concurrent requests while V8 still
    // compiles their paths and its pools and Postgres' plan caches fill, and a backlog those seconds build
    // at a rate this close to the machine's capacity would outlast the whole measurement. A platform in
    // service is warm; the figure is of that.
    context.log(`accept: ${rate_per_second}/s for ${warmup_s} s to warm up (not measured)`);
    await sendAtRate(platform, context, takePairs(rate_per_second * warmup_s), rate_per_second, warmup_s);
    await settle();

    context.log(`accept: ${rate_per_second}/s for ${duration_s} s, pool of ${connections} connections`);
    const main = await sendAtRate(
      platform,
      context,
      takePairs(rate_per_second * duration_s),
      rate_per_second,
      duration_s,
    );
    checkAnswers(context, main.load);
    context.log(`accept: ${describeClientSplit(main.load)}`);

    let posting: PostingStats | undefined;
    if (pipeline) {
      const final = await waitForFinal(platform.pool, main.ids, context.settings.drain_deadline_s);
      posting = await postingStats(platform.pool, main.ids);
      context.log(
        `accept: ${final} of ${main.ids.length} final; accept-to-posted p99 ${posting.accept_to_posted_p99_ms.toFixed(0)} ms`,
      );
    }
    await settle();

    // The highest rate that keeps p99 under the limit (and answers nearly everything): higher rates while
    // each holds; when the main rate already does not, lower ones, halving the interval below it.
    const steps: StepRun[] = [];
    const holds = async (step_rate: number) => {
      context.log(`accept: step ${step_rate}/s for ${step_duration_s} s`);
      const step = await sendAtRate(
        platform,
        context,
        takePairs(step_rate * step_duration_s),
        step_rate,
        step_duration_s,
      );
      steps.push({ rate_per_second: step_rate, load: step.load });
      await settle();
      return withinLimit(step.load, p99_limit_ms);
    };
    if (withinLimit(main.load, p99_limit_ms)) {
      for (const step_rate of step_rates) if (!(await holds(step_rate))) break;
    } else {
      let [held, failed] = [0, rate_per_second];
      for (let step = 0; step < search_steps; step += 1) {
        const step_rate = Math.round((held + failed) / 20) * 10;
        if (await holds(step_rate)) held = step_rate;
        else failed = step_rate;
      }
    }

    recordSerial(context, this.name, serial);
    recordFigures(context, this.name, main.load, posting, steps, pipeline);
    return {
      connections,
      rate_per_second,
      duration_s,
      serial,
      load: main.load,
      posting,
      steps,
      pipeline_measured: pipeline,
    };
  },
};

function withinLimit(load: LoadResult, p99_limit_ms: number): boolean {
  return load.latency.p99_ms <= p99_limit_ms && load.ok >= load.sent * 0.99;
}

async function sendClosedLoop(platform: Platform, context: BenchContext, pairs: readonly TransferPair[]) {
  const authorization = await platform.authorization();
  return closedLoop({
    base_url: platform.base_url,
    connections: 1,
    total: pairs.length,
    deadline_s: context.settings.http_duration_s,
    timeout_ms: REQUEST_TIMEOUT_MS,
    request: (index) => transferRequest(pairs[index] as TransferPair, authorization),
  });
}

function recordSerial(context: BenchContext, scenario: string, serial: LoadResult): void {
  context.figures.add({
    key: 'accept.serial',
    scenario,
    label: 'accepted/s, one request at a time',
    value: serial.ok_per_second,
    unit: 'req/s',
    reference: 'pgbench.tps',
  });
  context.figures.add({
    key: 'accept.serial.p50',
    scenario,
    label: 'accept p50, one request at a time',
    value: serial.latency.p50_ms,
    unit: 'ms',
    reference: 'fastify.p50',
  });
}

async function sendAtRate(
  platform: Platform,
  context: BenchContext,
  pairs: readonly TransferPair[],
  rate_per_second: number,
  duration_s: number,
) {
  const authorization = await platform.authorization();
  const collector = acceptedIdCollector();
  const load = await openLoop({
    base_url: platform.base_url,
    rate_per_second,
    duration_s,
    connections: context.settings.open_loop_connections,
    timeout_ms: REQUEST_TIMEOUT_MS,
    request: (index) => transferRequest(pairs[index] as TransferPair, authorization),
    onResponse: collector.onResponse,
  });
  return { load, ids: collector.ids };
}

function checkAnswers(context: BenchContext, load: LoadResult): void {
  const statuses = JSON.stringify(load.statuses);
  if (load.ok === 0) throw new Error(`no request was accepted (statuses ${statuses}, ${load.errors} errors)`);
  const unexpected = Object.keys(load.statuses).some((status) => status !== '202');
  if (unexpected || load.errors > 0) {
    context.log(`accept: answers ${statuses}, ${load.errors} errors or timeouts`);
  }
}

function recordFigures(
  context: BenchContext,
  scenario: string,
  load: LoadResult,
  posting: PostingStats | undefined,
  steps: readonly StepRun[],
  pipeline: boolean,
): void {
  const { figures } = context;
  const { rate_per_second, p99_limit_ms } = context.settings.accept;
  figures.add({
    key: 'accept.offered',
    scenario,
    label: 'accept offered rate',
    value: rate_per_second,
    unit: 'req/s',
  });
  figures.add({
    key: 'accept.rate',
    scenario,
    label: `accepted/s at ${rate_per_second}/s`,
    value: load.ok_per_second,
    unit: 'req/s',
    reference: 'accept.offered',
  });
  figures.add({
    key: 'accept.p50',
    scenario,
    label: `accept p50 at ${rate_per_second}/s`,
    value: load.latency.p50_ms,
    unit: 'ms',
    reference: 'fastify.p50',
  });
  figures.add({
    key: 'accept.p99',
    scenario,
    label: `accept p99 at ${rate_per_second}/s`,
    value: load.latency.p99_ms,
    unit: 'ms',
    reference: 'fastify.p99',
    target: { description: '<= 25 ms', on: 'value', op: '<=', threshold: 25 },
  });
  if (posting) {
    figures.add({
      key: 'accept.posted.p50',
      scenario,
      label: `accept-to-posted p50 at ${rate_per_second}/s`,
      value: posting.accept_to_posted_p50_ms,
      unit: 'ms',
      reference: 'pgbench.latency',
    });
    figures.add({
      key: 'accept.posted.p99',
      scenario,
      label: `accept-to-posted p99 at ${rate_per_second}/s`,
      value: posting.accept_to_posted_p99_ms,
      unit: 'ms',
      reference: 'pgbench.latency',
      target: { description: '<= 250 ms', on: 'value', op: '<=', threshold: 250 },
    });
  } else if (!pipeline) {
    context.log('accept: accept-to-posted skipped: outbox-relay, compliance-worker or ledger-worker missing');
  }
  if (context.settings.accept.step_rates.length > 0 || context.settings.accept.search_steps > 0) {
    const passing = [{ rate_per_second, load }, ...steps].filter((step) =>
      withinLimit(step.load, p99_limit_ms),
    );
    const best = passing.reduce(
      (highest, step) => (step.rate_per_second > highest ? step.rate_per_second : highest),
      0,
    );
    figures.add({
      key: 'accept.max_rate',
      scenario,
      label: `highest accept rate with p99 < ${p99_limit_ms} ms`,
      value: best,
      unit: 'req/s',
      reference: 'pgbench.tps',
      ...(best === 0 ? { note: `p99 was over ${p99_limit_ms} ms at every rate tried` } : {}),
    });
  }
}

/** Where the client's latency went (see LoadResult.client_split), for the log: p50 / p99 of each part. */
function describeClientSplit(load: LoadResult): string {
  const part = (name: string, summary: LoadResult['latency']) =>
    `${name} ${summary.p50_ms.toFixed(1)} / ${summary.p99_ms.toFixed(1)} ms`;
  const { late, pool_wait, exchange } = load.client_split;
  return `client p50 / p99: ${part('whole', load.latency)}; ${part('sent late', late)}, ${part('waiting for a pooled socket', pool_wait)}, ${part('exchange', exchange)}`;
}
