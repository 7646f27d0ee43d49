/**
 * Graph change-notification subscriptions on Outlook messages: the records, Graph's rules for creating and
 * renewing them (resource forms, change types, HTTPS URLs, clientState, lifetime limits, quota, duplicates),
 * silent expiry, and which mailbox changes each subscription hears about.
 */
import crypto from "node:crypto";
import type { Clock } from "../../server/clock";
import type { FolderRecord, MailboxChange, MessageRecord } from "./mailboxes";

export type ChangeType = "created" | "updated" | "deleted";
export type LifecycleEvent = "reauthorizationRequired" | "subscriptionRemoved" | "missed";

export interface SubscriptionRecord {
  id: string;
  /** The resource as the client wrote it (echoed back). */
  resource: string;
  userId: string;
  tenantId: string;
  /** Folder the subscription watches, or null for the whole mailbox (`/messages`). */
  folderId: string | null;
  changeTypes: ChangeType[];
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationDateTime: Date;
  applicationId: string;
  creatorId: string;
  latestSupportedTlsVersion: string;
  /** Created with `Prefer: IdType="ImmutableId"`: notifications name immutable ids. */
  immutableIds: boolean;
}

/** One change notification as Graph posts it (inside `{ value: [...] }`). */
export interface ChangeNotification {
  subscriptionId: string;
  subscriptionExpirationDateTime: string;
  clientState: string | null;
  changeType: ChangeType;
  resource: string;
  tenantId: string;
  resourceData: { "@odata.type": string; "@odata.id": string; "@odata.etag": string; id: string };
}

export interface LifecycleNotification {
  subscriptionId: string;
  subscriptionExpirationDateTime: string;
  tenantId: string;
  clientState: string | null;
  lifecycleEvent: LifecycleEvent;
}

/** Rejection of a create/renew request: Graph's status, code and message. */
export class SubscriptionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MIN_LIFETIME_MS = 45 * 60_000;

export function isoTicks(d: Date): string {
  // Graph writes seven fractional digits.
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

export class Subscriptions {
  readonly records = new Map<string, SubscriptionRecord>();
  /** Outlook message subscriptions' maximum lifetime in minutes (10,080; older docs said 4,230). */
  maxLifetimeMinutes = 10_080;
  /** Active subscriptions per mailbox across all apps. */
  maxPerMailbox = 1000;

  constructor(private readonly clock: Clock) {}

  /** Expiration as Graph accepts it: required, not past, not beyond the maximum; under 45 min is raised to 45 min. */
  checkExpiration(value: unknown): Date {
    if (typeof value !== "string" || !value.trim()) {
      throw new SubscriptionError(
        400,
        "InvalidRequest",
        "expirationDateTime is a required property for subscription creation.",
      );
    }
    const d = new Date(value);
    if (Number.isNaN(d.getTime()))
      throw new SubscriptionError(400, "InvalidRequest", `Invalid expirationDateTime '${value}'.`);
    const now = this.clock.now().getTime();
    if (d.getTime() <= now)
      throw new SubscriptionError(400, "ExtensionError", "Subscription expiration must be in the future.");
    if (d.getTime() > now + this.maxLifetimeMinutes * 60_000) {
      throw new SubscriptionError(
        400,
        "ExtensionError",
        `Subscription expiration can only be ${this.maxLifetimeMinutes} minutes in the future.`,
      );
    }
    return new Date(Math.max(d.getTime(), now + MIN_LIFETIME_MS));
  }

  /** `created,updated` → the change types; anything else (or `deleted` misspelt) fails. */
  static parseChangeTypes(value: unknown): ChangeType[] {
    if (typeof value !== "string" || !value.trim())
      throw new SubscriptionError(
        400,
        "InvalidRequest",
        "changeType is a required property for subscription creation.",
      );
    const parts = value.split(",").map((s) => s.trim());
    if (parts.some((p) => p !== "created" && p !== "updated" && p !== "deleted")) {
      throw new SubscriptionError(
        400,
        "InvalidRequest",
        `'${value}' is not a valid change type. Valid values are created, updated and deleted.`,
      );
    }
    return [...new Set(parts as ChangeType[])];
  }

  static checkUrl(name: string, value: unknown, required: boolean): string | null {
    if (value === undefined || value === null || value === "") {
      if (required)
        throw new SubscriptionError(400, "InvalidRequest", `${name} is a required property for subscription creation.`);
      return null;
    }
    let u: URL;
    try {
      u = new URL(String(value));
    } catch {
      throw new SubscriptionError(400, "InvalidRequest", `Invalid ${name} '${String(value)}'.`);
    }
    if (u.protocol !== "https:")
      throw new SubscriptionError(400, "InvalidRequest", `The ${name} must use the HTTPS protocol.`);
    return u.toString();
  }

  static checkClientState(value: unknown): string | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== "string" || value.length > 128)
      throw new SubscriptionError(400, "InvalidRequest", "clientState must be a string of at most 128 characters.");
    return value;
  }

  add(r: Omit<SubscriptionRecord, "id">): SubscriptionRecord {
    this.expire();
    const mine = [...this.records.values()].filter((s) => s.userId === r.userId);
    if (mine.length >= this.maxPerMailbox) {
      throw new SubscriptionError(
        403,
        "ExtensionError",
        `Operation: Create; Exception: [Status Code: Forbidden; Reason: The maximum number of ${this.maxPerMailbox} subscriptions for this mailbox has been reached.]`,
      );
    }
    const dup = mine.find(
      (s) =>
        s.applicationId === r.applicationId &&
        s.folderId === r.folderId &&
        s.changeTypes.join() === r.changeTypes.join() &&
        s.notificationUrl === r.notificationUrl,
    );
    if (dup)
      throw new SubscriptionError(
        409,
        "ExtensionError",
        `Subscription Id ${dup.id} already exists for the requested combination`,
      );
    const rec: SubscriptionRecord = { ...r, id: crypto.randomUUID() };
    this.records.set(rec.id, rec);
    return rec;
  }

  /** A live subscription (expired ones are gone, as Graph deletes them at expiry). */
  get(id: string): SubscriptionRecord | undefined {
    this.expire();
    return this.records.get(id);
  }

  list(): SubscriptionRecord[] {
    this.expire();
    return [...this.records.values()];
  }

  remove(id: string): boolean {
    return this.records.delete(id);
  }

  /** Drop expired subscriptions; nothing is sent for them. */
  expire(): void {
    const now = this.clock.now().getTime();
    for (const [id, s] of this.records) if (s.expirationDateTime.getTime() <= now) this.records.delete(id);
  }

  /** The change notifications one mailbox change produces, one per subscription that hears it. */
  notificationsFor(c: MailboxChange, folderOf: (id: string) => FolderRecord | undefined): ChangeNotification[] {
    this.expire();
    const out: ChangeNotification[] = [];
    const m = c.message;
    for (const s of this.records.values()) {
      if (s.userId !== m.userId) continue;
      for (const ev of this.eventsFor(s, c, folderOf)) {
        if (s.changeTypes.includes(ev.type)) out.push(this.notification(s, ev.type, m, ev.id));
      }
    }
    return out;
  }

  /** What a subscription sees of a change: a folder-scoped one sees moves as deleted there / created here. */
  private eventsFor(
    s: SubscriptionRecord,
    c: MailboxChange,
    folderOf: (id: string) => FolderRecord | undefined,
  ): { type: ChangeType; id: string }[] {
    const m = c.message;
    const idOf = (regular: string) => (s.immutableIds ? m.immutableId : regular);
    const visible = (folderId: string | undefined) => {
      if (!folderId) return false;
      if (s.folderId) return folderId === s.folderId;
      return !folderOf(folderId)?.outsideTree;
    };
    switch (c.kind) {
      case "created":
      case "updated":
      case "deleted":
        return visible(m.folderId) ? [{ type: c.kind, id: idOf(m.id) }] : [];
      case "moved": {
        const was = visible(c.fromFolderId);
        const is = visible(m.folderId);
        if (!s.folderId)
          return was && is
            ? [{ type: "updated", id: idOf(m.id) }]
            : was
              ? [{ type: "deleted", id: idOf(c.previousId!) }]
              : is
                ? [{ type: "created", id: idOf(m.id) }]
                : [];
        return [
          ...(was ? [{ type: "deleted" as const, id: idOf(c.previousId!) }] : []),
          ...(is ? [{ type: "created" as const, id: idOf(m.id) }] : []),
        ];
      }
    }
  }

  private notification(
    s: SubscriptionRecord,
    changeType: ChangeType,
    m: MessageRecord,
    id: string,
  ): ChangeNotification {
    const path = `Users/${s.userId}/Messages/${id}`;
    return {
      subscriptionId: s.id,
      subscriptionExpirationDateTime: isoTicks(s.expirationDateTime),
      clientState: s.clientState,
      changeType,
      resource: path,
      tenantId: s.tenantId,
      resourceData: {
        "@odata.type": "#Microsoft.Graph.Message",
        "@odata.id": path,
        "@odata.etag": `W/"${m.changeKey}"`,
        id,
      },
    };
  }

  lifecycle(s: SubscriptionRecord, event: LifecycleEvent): LifecycleNotification {
    return {
      subscriptionId: s.id,
      subscriptionExpirationDateTime: isoTicks(s.expirationDateTime),
      tenantId: s.tenantId,
      clientState: s.clientState,
      lifecycleEvent: event,
    };
  }
}
