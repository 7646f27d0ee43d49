/**
 * Graph's subscription API for a mailbox's messages (POST/PATCH/DELETE /subscriptions), through the
 * same Graph client as the sweep. Ids in notifications are immutable ids, like the ids the sweep stores.
 */
import type { Client } from "@microsoft/microsoft-graph-client";

/** The whole mailbox, not just the inbox: sent mail is captured too, and a move is an update, not a delete. */
export const MESSAGES_RESOURCE = "me/messages";
const IMMUTABLE_IDS = 'IdType="ImmutableId"';

export interface SubscriptionRequest {
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  clientState: string;
  expirationDateTime: Date;
}

export interface GraphSubscription {
  id: string;
  resource: string;
  expirationDateTime: Date;
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

function parseSubscription(raw: unknown): GraphSubscription {
  const r = raw as { id?: unknown; resource?: unknown; expirationDateTime?: unknown } | null;
  const expires = typeof r?.expirationDateTime === "string" ? new Date(r.expirationDateTime) : null;
  if (typeof r?.id !== "string" || !r.id || !expires || Number.isNaN(expires.getTime()))
    throw new Error("Graph answered a subscription without an id or expiry");
  return {
    id: r.id,
    resource: typeof r.resource === "string" ? r.resource : MESSAGES_RESOURCE,
    expirationDateTime: expires,
  };
}

export async function createMessageSubscription(client: Client, req: SubscriptionRequest): Promise<GraphSubscription> {
  const raw: unknown = await client.api("/subscriptions").header("Prefer", IMMUTABLE_IDS).post({
    changeType: "created,updated",
    notificationUrl: req.notificationUrl,
    lifecycleNotificationUrl: req.lifecycleNotificationUrl,
    resource: MESSAGES_RESOURCE,
    expirationDateTime: req.expirationDateTime.toISOString(),
    clientState: req.clientState,
  });
  return parseSubscription(raw);
}

/** Renew (which also reauthorizes); null when Graph no longer has the subscription. */
export async function renewSubscription(
  client: Client,
  subscriptionId: string,
  expirationDateTime: Date,
): Promise<GraphSubscription | null> {
  try {
    const raw: unknown = await client
      .api(`/subscriptions/${encodeURIComponent(subscriptionId)}`)
      .patch({ expirationDateTime: expirationDateTime.toISOString() });
    return parseSubscription(raw);
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/** Delete; a subscription Graph no longer has counts as deleted. */
export async function deleteGraphSubscription(client: Client, subscriptionId: string): Promise<void> {
  try {
    await client.api(`/subscriptions/${encodeURIComponent(subscriptionId)}`).delete();
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}
