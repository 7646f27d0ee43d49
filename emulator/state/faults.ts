/**
 * Injected faults: rules tests and the control API add (error statuses, dropped sockets, stalls),
 * matched against each request by area, path, method and mailbox, with rate, count and "after" limits.
 */

export interface FaultRule {
  /** What happens: an error status, a destroyed socket, or a stall before the normal answer. */
  kind?: "status" | "drop" | "stall";
  /** For kind "status": 429, 503 or 504 (any status works). Default 503. */
  status?: number;
  /** Retry-After seconds sent with the status (default 1 for 429/503, none for 504). null = omit. */
  retryAfterSeconds?: number | null;
  /** For kind "stall": milliseconds without an answer; then the request proceeds (or drops if stallThenDrop). */
  stallMs?: number;
  /**
   * For kind "stall", in-process use only: stall until this promise settles instead of for stallMs, so a
   * test decides when the request proceeds (no race with real time on a loaded machine).
   */
  stallUntil?: Promise<unknown>;
  stallThenDrop?: boolean;
  /** Probability 0..1 that a matching request is hit (default 1). */
  rate?: number;
  /** Fire for at most this many matching requests, then retire (default unlimited). */
  count?: number;
  /** Let this many matching requests pass first (scripts: "the 3rd list call fails"). */
  after?: number;
  match?: {
    /** Substring of, or RegExp against, the path (e.g. "/me/messages"); batch items use their own url. */
    path?: string | RegExp;
    userId?: string;
    method?: string;
    /** "graph" (default), "identity" or "any". */
    area?: "graph" | "identity" | "any";
    /** Whether the rule also applies to $batch items (status faults only). Default true. */
    batchItems?: boolean;
  };
}

interface ActiveFault extends FaultRule {
  id: number;
  seen: number;
  fired: number;
}

export class Faults {
  private rules: ActiveFault[] = [];
  private nextId = 1;

  inject(rule: FaultRule): number {
    const id = this.nextId++;
    this.rules.push({ ...rule, id, seen: 0, fired: 0 });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((f) => f.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  /** How many requests a rule has hit so far (tests wait on it: "the request is now stalled"). */
  fired(id: number): number {
    return this.rules.find((f) => f.id === id)?.fired ?? 0;
  }

  /** The fault that hits this request, if any (consumes one use of it). */
  take(req: {
    area: "graph" | "identity";
    path: string;
    method: string;
    userId: string | null;
    batchItem?: boolean;
  }): FaultRule | null {
    for (const f of this.rules) {
      const m = f.match ?? {};
      const area = m.area ?? "graph";
      if (area !== "any" && area !== req.area) continue;
      if (req.batchItem && (m.batchItems === false || (f.kind ?? "status") !== "status")) continue;
      if (m.method && m.method.toUpperCase() !== req.method.toUpperCase()) continue;
      if (m.userId && m.userId !== req.userId) continue;
      if (m.path) {
        const ok =
          typeof m.path === "string" ? req.path.toLowerCase().includes(m.path.toLowerCase()) : m.path.test(req.path);
        if (!ok) continue;
      }
      if (f.count !== undefined && f.fired >= f.count) continue;
      f.seen += 1;
      if (f.after !== undefined && f.seen <= f.after) continue;
      if (f.rate !== undefined && Math.random() >= f.rate) continue;
      f.fired += 1;
      return f;
    }
    return null;
  }
}
