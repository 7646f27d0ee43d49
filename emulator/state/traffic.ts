/**
 * Traffic: per-mailbox request counters (what tests and benchmarks measure) and Outlook's per app +
 * mailbox throttling (concurrency and a request budget per window).
 */
import type { Clock } from "../../server/clock";

export type RequestKind =
  | "list"
  | "get"
  | "delta"
  | "batch"
  | "batchItems"
  | "sendMail"
  | "createDraft"
  | "send"
  | "reply"
  | "move"
  | "me"
  | "folders"
  | "token"
  | "authorize"
  | "other";

export interface RequestCounts {
  total: number;
  byKind: Record<RequestKind, number>;
  responseBytes: number;
}

const REQUEST_KINDS: RequestKind[] = [
  "list",
  "get",
  "delta",
  "batch",
  "batchItems",
  "sendMail",
  "createDraft",
  "send",
  "reply",
  "move",
  "me",
  "folders",
  "token",
  "authorize",
  "other",
];

function emptyCounts(): RequestCounts {
  const byKind = Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as Record<RequestKind, number>;
  return { total: 0, byKind, responseBytes: 0 };
}

export class RequestCounter {
  private counts = new Map<string, RequestCounts>();
  /** Requests per User-Agent and area: which client process called (tests tell processes apart by it). */
  private callers = new Map<string, { graph: number; identity: number }>();

  countCaller(userAgent: string, area: "graph" | "identity"): void {
    const c = this.callers.get(userAgent) ?? { graph: 0, identity: 0 };
    c[area] += 1;
    this.callers.set(userAgent, c);
  }

  callerCounts(userAgent: string): { graph: number; identity: number } {
    return { ...(this.callers.get(userAgent) ?? { graph: 0, identity: 0 }) };
  }

  count(userId: string | null, kind: RequestKind): void {
    if (!userId) return;
    const c = this.countsFor(userId);
    c.byKind[kind] += 1;
    if (kind !== "batchItems") c.total += 1;
  }

  addResponseBytes(userId: string | null, bytes: number): void {
    if (userId) this.countsFor(userId).responseBytes += bytes;
  }

  private countsFor(userId: string): RequestCounts {
    let c = this.counts.get(userId);
    if (!c) this.counts.set(userId, (c = emptyCounts()));
    return c;
  }

  /** total = HTTP requests for this mailbox (a $batch counts once); byKind.batchItems counts the items. */
  countsOf(userId: string): RequestCounts {
    const c = this.countsFor(userId);
    return { total: c.total, byKind: { ...c.byKind }, responseBytes: c.responseBytes };
  }

  reset(): void {
    this.counts.clear();
    this.callers.clear();
  }
}

export class Throttle {
  maxConcurrentPerMailbox: number;
  requestBudget: { requests: number; windowMs: number };
  private inFlight = new Map<string, number>();
  private budgets = new Map<string, { windowStart: number; used: number }>();

  constructor(
    private readonly clock: Clock,
    opts: { maxConcurrentPerMailbox?: number; requestBudget?: { requests: number; windowMs: number } },
  ) {
    this.maxConcurrentPerMailbox = opts.maxConcurrentPerMailbox ?? 4;
    this.requestBudget = opts.requestBudget ?? { requests: 10_000, windowMs: 10 * 60 * 1000 };
  }

  /**
   * Outlook's per app + mailbox limits. Returns null when admitted (the caller must `release`),
   * or the throttling reason with Retry-After seconds.
   */
  admit(clientId: string, userId: string): { reason: "MailboxConcurrency" | "RequestRate"; retryAfter: number } | null {
    const key = `${clientId}|${userId}`;
    const now = this.clock.now().getTime();
    let b = this.budgets.get(key);
    if (!b || now - b.windowStart >= this.requestBudget.windowMs)
      this.budgets.set(key, (b = { windowStart: now, used: 0 }));
    if (b.used >= this.requestBudget.requests) {
      return {
        reason: "RequestRate",
        retryAfter: Math.max(1, Math.ceil((b.windowStart + this.requestBudget.windowMs - now) / 1000)),
      };
    }
    const inFlight = this.inFlight.get(key) ?? 0;
    if (inFlight >= this.maxConcurrentPerMailbox) return { reason: "MailboxConcurrency", retryAfter: 1 };
    b.used += 1;
    this.inFlight.set(key, inFlight + 1);
    return null;
  }

  release(clientId: string, userId: string): void {
    const key = `${clientId}|${userId}`;
    this.inFlight.set(key, Math.max(0, (this.inFlight.get(key) ?? 1) - 1));
  }
}
