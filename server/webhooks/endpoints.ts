/**
 * Managing an organization's webhook endpoints: register (the URL checked by the SSRF guard, the secret
 * made, sealed, and shown once), list, change, delete, rotate the secret with an overlap, enable again
 * after a disable, the delivery log and replay. The routes (server/api/routes/webhooks.ts) call this.
 */
import type { z } from "zod";
import type {
  webhookDeliverySchema,
  webhookEndpointCreatedSchema,
  webhookEndpointViewSchema,
} from "../../shared/api/schemas";
import type { Clock } from "../clock";
import type { Db } from "../db";
import { DomainError } from "../domain-error";
import { OutboundRefusedError, assertOutboundUrl } from "../http/guarded-post";
import type { TokenCipher } from "../identity/token-crypto";
import { parseJson } from "../store/util";
import {
  duePendingNow,
  listDeliveries,
  replayDeliveries,
  type DeliveryQuery,
  type WebhookDeliveryRecord,
} from "../store/webhook-deliveries";
import {
  countEndpoints,
  deleteEndpoint,
  getEndpoint,
  insertEndpoint,
  listEndpoints,
  updateEndpoint,
  type EndpointPatch,
  type WebhookEndpointRecord,
} from "../store/webhook-endpoints";
import { sealSecret } from "./secrets";
import { newWebhookSecret } from "./signing";

export type WebhookEndpointView = z.infer<typeof webhookEndpointViewSchema>;
export type WebhookEndpointCreated = z.infer<typeof webhookEndpointCreatedSchema>;
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

export interface WebhookAdminDeps {
  db: Db;
  clock: Clock;
  cipher: TokenCipher;
  /** WEBHOOK_ALLOW_HOSTS. */
  allowHosts: readonly string[];
  /** WEBHOOK_ENDPOINTS_PER_ORGANIZATION. */
  maxEndpoints: number;
  /** Called after a change that may make deliveries due (the runner then passes soon). */
  nudge?: (opts: { reconcile: boolean }) => void;
}

export type WebhookAdmin = ReturnType<typeof createWebhookAdmin>;

const notFound = () => new DomainError("not_found", "No such webhook endpoint in your organization.");

function checkUrl(url: string, allowHosts: readonly string[]): string {
  try {
    return assertOutboundUrl(url, allowHosts).toString();
  } catch (err) {
    if (err instanceof OutboundRefusedError)
      throw new DomainError("invalid_webhook_url", `The webhook URL cannot be called: ${err.message}.`);
    throw err;
  }
}

export function toEndpointView(r: WebhookEndpointRecord, now: Date): WebhookEndpointView {
  const overlapping = r.previousSecretExpiresAt && r.previousSecretExpiresAt > now.toISOString();
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: parseJson(r.eventTypes, []),
    status: r.status,
    disabledReason: r.disabledReason,
    disabledAt: r.disabledAt,
    previousSecretExpiresAt: overlapping ? r.previousSecretExpiresAt : null,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function toDeliveryView(d: WebhookDeliveryRecord): WebhookDeliveryView {
  return {
    id: d.id,
    sequence: Number(d.sequence),
    eventType: d.eventType as WebhookDeliveryView["eventType"],
    engagementId: d.engagementId,
    occurredAt: d.occurredAt,
    status: d.status,
    attempts: Number(d.attempts),
    lastAttemptAt: d.lastAttemptAt,
    lastStatusCode: d.lastStatusCode === null ? null : Number(d.lastStatusCode),
    lastError: d.lastError,
    nextAttemptAt: d.nextAttemptAt,
    deliveredAt: d.deliveredAt,
  };
}

export function createWebhookAdmin(deps: WebhookAdminDeps) {
  const { db, clock, cipher } = deps;
  const existing = async (orgId: string, id: string) => {
    const r = await getEndpoint(db, orgId, id);
    if (!r) throw notFound();
    return r;
  };
  return {
    async create(
      orgId: string,
      input: { url: string; description: string | null; eventTypes: readonly string[] },
      createdBy: string,
    ): Promise<WebhookEndpointCreated> {
      const url = checkUrl(input.url, deps.allowHosts);
      if ((await countEndpoints(db, orgId)) >= deps.maxEndpoints)
        throw new DomainError(
          "webhook_quota_exceeded",
          `An organization has at most ${deps.maxEndpoints} webhook endpoints.`,
        );
      const secret = newWebhookSecret();
      const now = clock.now();
      // The secret is sealed with the row's id as context, so the id is made first.
      const row = await db.transaction().execute(async (trx) => {
        const r = await insertEndpoint(
          trx,
          orgId,
          {
            url,
            description: input.description,
            eventTypes: [...new Set(input.eventTypes)],
            sealedSecret: "",
            createdBy,
          },
          now,
        );
        const sealed = sealSecret(cipher, r.id, secret);
        await updateEndpoint(trx, orgId, r.id, { secret: sealed }, now);
        return { ...r, secret: sealed };
      });
      return { ...toEndpointView(row, now), secret };
    },
    async list(orgId: string): Promise<WebhookEndpointView[]> {
      const now = clock.now();
      return (await listEndpoints(db, orgId)).map((r) => toEndpointView(r, now));
    },
    async get(orgId: string, id: string): Promise<WebhookEndpointView> {
      return toEndpointView(await existing(orgId, id), clock.now());
    },
    async update(
      orgId: string,
      id: string,
      patch: { url?: string; description?: string | null; eventTypes?: readonly string[] },
    ): Promise<WebhookEndpointView> {
      const p: EndpointPatch = {};
      if (patch.url !== undefined) p.url = checkUrl(patch.url, deps.allowHosts);
      if (patch.description !== undefined) p.description = patch.description;
      if (patch.eventTypes !== undefined) p.eventTypes = JSON.stringify([...new Set(patch.eventTypes)]);
      if (!(await updateEndpoint(db, orgId, id, p, clock.now()))) throw notFound();
      return toEndpointView(await existing(orgId, id), clock.now());
    },
    async remove(orgId: string, id: string): Promise<void> {
      if (!(await deleteEndpoint(db, orgId, id))) throw notFound();
    },
    /** A new secret; the current one keeps signing (a second signature) for overlapHours. */
    async rotate(orgId: string, id: string, overlapHours: number) {
      const r = await existing(orgId, id);
      const now = clock.now();
      const secret = newWebhookSecret();
      const expires = new Date(now.getTime() + overlapHours * 3_600_000).toISOString();
      await updateEndpoint(
        db,
        orgId,
        id,
        { secret: sealSecret(cipher, id, secret), previousSecret: r.secret, previousSecretExpiresAt: expires },
        now,
      );
      return { secret, previousSecretExpiresAt: expires };
    },
    /** Resume a disabled endpoint: deliveries left pending are due now; missed changes are dispatched. */
    async enable(orgId: string, id: string): Promise<WebhookEndpointView> {
      await existing(orgId, id);
      const now = clock.now();
      await updateEndpoint(
        db,
        orgId,
        id,
        { status: "active", disabledReason: null, disabledAt: null, failingSince: null },
        now,
      );
      await duePendingNow(db, orgId, id, now);
      deps.nudge?.({ reconcile: true });
      return toEndpointView(await existing(orgId, id), now);
    },
    async deliveries(orgId: string, id: string, q: DeliveryQuery) {
      await existing(orgId, id);
      const page = await listDeliveries(db, orgId, id, q);
      return { items: page.items.map(toDeliveryView), nextCursor: page.nextCursor };
    },
    async replay(orgId: string, id: string, which: { deliveryId: string } | { since: string }): Promise<number> {
      await existing(orgId, id);
      const n = await replayDeliveries(
        db,
        orgId,
        id,
        "deliveryId" in which ? which : { since: new Date(which.since) },
        clock.now(),
      );
      if ("deliveryId" in which && n === 0)
        throw new DomainError("not_found", "No such delivery of this endpoint (or it is being attempted right now).");
      deps.nudge?.({ reconcile: true });
      return n;
    },
  };
}
