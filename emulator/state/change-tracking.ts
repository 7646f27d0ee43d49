/**
 * Change tracking: the Graph mail sync states behind delta (`$deltatoken`) and paging (`$skiptoken`)
 * tokens, their per-folder generations (quoted by Exchange's SyncStateNotFound), expiry and invalidation.
 */
import crypto from "node:crypto";
import type { Clock } from "../../server/clock";

/** Query options of a delta round, fixed by its first request and carried by its tokens (as Graph encodes them). */
export interface DeltaOptions {
  select: string | null;
  expand: string | null;
  /** Only `receivedDateTime ge|gt <date>` (checked by graph.ts). */
  filter: string | null;
  /** Page size from `$top` (a `Prefer: odata.maxpagesize` on the request wins). */
  top: number | null;
  changeType: "created" | "updated" | "deleted" | null;
}

/** What a client holds of one message after a delta round: the id it was told, and the version. */
export interface SyncedMessage {
  id: string;
  immutableId: string;
  changeKey: string;
  lastModified: number;
}

/** One entry of a delta round: a message to send as it is when its page is served, or a removal. */
export type DeltaItem = { key: string } | { removed: { id: string; immutableId: string } };

/**
 * A Graph mail sync state behind a `$deltatoken` (a finished round: what the client now holds) or a
 * `$skiptoken` (a round in progress: its remaining entries, and what the client will hold at its end).
 */
export interface SyncState {
  token: string;
  kind: "delta" | "skip";
  userId: string;
  folderId: string;
  /** Per folder, increasing (the number Exchange's SyncStateNotFound message quotes). */
  generation: number;
  issuedAt: number;
  options: DeltaOptions;
  snapshot: Map<string, SyncedMessage>;
  /** skip only. */
  items?: DeltaItem[];
  offset?: number;
}

export class ChangeTracking {
  /**
   * How long a delta/skip token stays usable, in emulator-clock ms (default 7 days). Exchange gives
   * them no fixed lifetime (an internal cache); past this the emulator answers 410 SyncStateNotFound.
   */
  lifetimeMs: number;
  private states = new Map<string, SyncState>();
  /** Highest generation issued per `userId|folderId`. */
  private generations = new Map<string, number>();
  private issued = 0;

  constructor(
    private readonly clock: Clock,
    lifetimeMs: number,
  ) {
    this.lifetimeMs = lifetimeMs;
  }

  /** Store a sync state under a fresh opaque token (the folder's next generation is encoded in it). */
  issue(s: Omit<SyncState, "token" | "generation" | "issuedAt">): SyncState {
    const now = this.clock.now().getTime();
    if (++this.issued % 256 === 0) {
      for (const [t, x] of this.states) if (now - x.issuedAt >= this.lifetimeMs) this.states.delete(t);
    }
    const genKey = `${s.userId}|${s.folderId}`;
    const generation = (this.generations.get(genKey) ?? 0) + 1;
    this.generations.set(genKey, generation);
    const raw = Buffer.alloc(4);
    raw.writeUInt32BE(generation);
    const token = `Gwc${Buffer.concat([raw, crypto.randomBytes(24)]).toString("base64url")}`;
    const rec: SyncState = { ...s, token, generation, issuedAt: now };
    this.states.set(token, rec);
    return rec;
  }

  /** The live sync state behind a token, or undefined (unknown, malformed, invalidated or expired). */
  find(token: string): SyncState | undefined {
    const s = this.states.get(token);
    if (!s) return undefined;
    if (this.clock.now().getTime() - s.issuedAt >= this.lifetimeMs) {
      this.states.delete(token);
      return undefined;
    }
    return s;
  }

  /** Generation a token claims (0 when it is not one of ours), and the folder's highest and live ones. */
  generationInfo(
    token: string,
    userId: string,
    folderId: string,
  ): { generation: number; highest: number; live: number[] } {
    let generation = 0;
    const m = /^Gwc([A-Za-z0-9_-]{38})$/.exec(token);
    if (m) generation = Buffer.from(m[1], "base64url").readUInt32BE(0);
    const live: number[] = [];
    const now = this.clock.now().getTime();
    for (const s of this.states.values()) {
      if (s.userId === userId && s.folderId === folderId && now - s.issuedAt < this.lifetimeMs) live.push(s.generation);
    }
    return {
      generation,
      highest: this.generations.get(`${userId}|${folderId}`) ?? 0,
      live: live.sort((a, b) => b - a),
    };
  }

  /** Forget every delta/skip token of a mailbox (Exchange dropped its sync states): they answer 410. Returns how many. */
  invalidate(userId: string): number {
    let n = 0;
    for (const [t, s] of this.states) {
      if (s.userId === userId) {
        this.states.delete(t);
        n++;
      }
    }
    return n;
  }
}
