import { sleep } from '../../support/server-process.ts';
import type { HttpAnswer, HttpClient } from './http-client.ts';
import type { ModelEvent } from './ledger-model.ts';

/**
 * How each delivery of an event ended, as a processor would see it:
 * - created: 201, first delivery, written;  replayed: 200 with `idempotent: true`;
 * - unavailable: 503 SERVICE_UNAVAILABLE in the error envelope (retry later);
 * - network: no HTTP answer (connection refused or reset, or no answer before the deadline);
 * - other: anything else, which no test here expects.
 */
export type Outcome = 'created' | 'replayed' | 'unavailable' | 'network' | 'other';

export interface DeliveryRecord {
  event_id: string;
  route: RouteName;
  outcome: Outcome;
  status: number | null;
  /** The error code, or the network failure. */
  detail: string | undefined;
  elapsedMs: number;
}

export type RouteName = 'single' | 'batch';

/** A way of delivering events; one HTTP request carries at most `eventsMax` of them. */
export interface DeliveryRoute {
  name: RouteName;
  eventsMax: number;
  deliver(client: HttpClient, events: readonly ModelEvent[]): Promise<DeliveryRecord[]>;
}

/** `POST /v1/processor/events`, one event per request. */
export const singleRoute: DeliveryRoute = {
  name: 'single',
  eventsMax: 1,
  deliver: async (client, events) => {
    const [event] = events;
    if (event === undefined || events.length > 1) throw new Error('the single route takes exactly one event');
    return [recordOf(event.event_id, 'single', await client.post('/v1/processor/events', event))];
  },
};

/** Events per batch request in the storm: enough to batch, few enough to interleave with single deliveries. */
const STORM_BATCH_EVENTS_MAX = 50;

/**
 * `POST /v1/processor/events/batch`: one record per event from the batch's per-event results. A
 * 503 or a network failure of the whole request is that outcome for every event in it, so the
 * retry loop sends exactly those again.
 */
export const batchRoute: DeliveryRoute = {
  name: 'batch',
  eventsMax: STORM_BATCH_EVENTS_MAX,
  deliver: async (client, events) => {
    const answer = await client.post('/v1/processor/events/batch', { events });
    const results: unknown = answer.kind === 'answer' ? answer.body.data?.results : undefined;
    if (answer.kind === 'network' || answer.status !== 200 || !Array.isArray(results)) {
      return events.map((event) => recordOf(event.event_id, 'batch', answer));
    }
    return events.map((event, index) => {
      const result = results[index] as { event_id?: unknown; status?: unknown; data?: { idempotent?: unknown }; error?: { code?: unknown } } | undefined;
      const outcome: Outcome =
        result?.event_id !== event.event_id
          ? 'other'
          : result.status === 201 && result.data?.idempotent === false
            ? 'created'
            : result.status === 200 && result.data?.idempotent === true
              ? 'replayed'
              : 'other';
      const detail = typeof result?.error?.code === 'string' ? result.error.code : undefined;
      return { event_id: event.event_id, route: 'batch', outcome, status: typeof result?.status === 'number' ? result.status : null, detail, elapsedMs: answer.elapsedMs };
    });
  },
};

function recordOf(eventId: string, route: RouteName, answer: HttpAnswer): DeliveryRecord {
  if (answer.kind === 'network') {
    return { event_id: eventId, route, outcome: 'network', status: null, detail: answer.message, elapsedMs: answer.elapsedMs };
  }
  const { status, body } = answer;
  const code: unknown = body.error?.code;
  const outcome: Outcome =
    status === 201 && body.success === true && body.data?.idempotent === false
      ? 'created'
      : status === 200 && body.success === true && body.data?.idempotent === true
        ? 'replayed'
        : status === 503 && isUnavailableEnvelope(body)
          ? 'unavailable'
          : 'other';
  return { event_id: eventId, route, outcome, status, detail: typeof code === 'string' ? code : undefined, elapsedMs: answer.elapsedMs };
}

/** The documented 503: the error envelope with SERVICE_UNAVAILABLE and a request id. */
export function isUnavailableEnvelope(body: Record<string, any>): boolean {
  return (
    body.success === false &&
    body.error?.code === 'SERVICE_UNAVAILABLE' &&
    typeof body.error?.message === 'string' &&
    typeof body.meta?.request_id === 'string'
  );
}

/** Every delivery made, in the order the answers came back. */
export class DeliveryLog {
  readonly records: DeliveryRecord[] = [];

  add(records: readonly DeliveryRecord[]): void {
    this.records.push(...records);
  }

  count(outcome: Outcome): number {
    return this.records.filter((r) => r.outcome === outcome).length;
  }

  /** Event ids that got a 2xx at least once. */
  acknowledged(): Set<string> {
    return new Set(this.records.filter((r) => r.outcome === 'created' || r.outcome === 'replayed').map((r) => r.event_id));
  }

  /** Event ids that were delivered but never acknowledged: what a processor would retry. */
  unacknowledged(): string[] {
    const acknowledged = this.acknowledged();
    return [...new Set(this.records.map((r) => r.event_id))].filter((id) => !acknowledged.has(id));
  }

  /** The deliveries that ended neither in a 2xx, nor a 503 envelope, nor a network failure. */
  unexpected(): DeliveryRecord[] {
    return this.records.filter((r) => r.outcome === 'other');
  }

  slowest(outcome: Outcome): number {
    return Math.max(0, ...this.records.filter((r) => r.outcome === outcome).map((r) => r.elapsedMs));
  }
}

export interface LoadOptions {
  client: HttpClient;
  route: DeliveryRoute;
  /** Concurrent senders. */
  senders: number;
  /** The next event to send, or undefined when there are no more. */
  next(): ModelEvent | undefined;
  log: DeliveryLog;
  /** Checked before each delivery. */
  stop(): boolean;
  /** A sender that saw a failure waits this long before its next delivery, as a processor backs off. */
  backoffMs: number;
}

/** Delivers new events once each from several senders until `stop` or the events run out. No retries. */
export async function runLoad(options: LoadOptions): Promise<void> {
  const sender = async () => {
    while (!options.stop()) {
      const event = options.next();
      if (event === undefined) return;
      const records = await options.route.deliver(options.client, [event]);
      options.log.add(records);
      if (records.some((r) => r.outcome === 'unavailable' || r.outcome === 'network')) await sleep(options.backoffMs);
    }
  };
  await Promise.all(Array.from({ length: options.senders }, sender));
}

/** One HTTP request's worth of events, for one route. */
export interface Shot {
  route: DeliveryRoute;
  events: readonly ModelEvent[];
}

export interface ShotOptions {
  client: HttpClient;
  senders: number;
  log: DeliveryLog;
  /** Attempts per event, the first included. */
  attemptsMax: number;
  backoffMs: number;
}

/**
 * Sends each shot from `senders` concurrent senders, and does what a processor does with the
 * events that failed: sends them again, by the same route, until they get an answer other than
 * 503 or a network failure, at most `attemptsMax` times with a growing pause.
 */
export async function deliverShots(shots: readonly Shot[], options: ShotOptions): Promise<void> {
  const queue = [...shots];
  const sender = async () => {
    for (let shot = queue.shift(); shot !== undefined; shot = queue.shift()) {
      let pending = shot.events;
      for (let attempt = 1; attempt <= options.attemptsMax && pending.length > 0; attempt += 1) {
        if (attempt > 1) await sleep(options.backoffMs * (attempt - 1));
        const records = await shot.route.deliver(options.client, pending);
        options.log.add(records);
        const failed = new Set(records.filter((r) => r.outcome === 'unavailable' || r.outcome === 'network').map((r) => r.event_id));
        pending = pending.filter((event) => failed.has(event.event_id));
      }
    }
  };
  await Promise.all(Array.from({ length: options.senders }, sender));
}

/** Redelivers events that were never acknowledged, one request each. */
export function retryUntilAnswered(events: readonly ModelEvent[], options: ShotOptions & { route: DeliveryRoute }): Promise<void> {
  return deliverShots(
    events.map((event) => ({ route: options.route, events: [event] })),
    options,
  );
}
