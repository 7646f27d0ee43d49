/**
 * Deliveries are built FROM the changes feed: for each active endpoint whose organization's feed has
 * changes past the endpoint's lastSequence, one delivery per change of a subscribed type, then the
 * position moves on — in one transaction, so a crash between the two leaves neither. The unique
 * (endpoint, sequence) key and the compare-and-set on lastSequence make a repeated or concurrent run
 * harmless: no change is lost (the position only moves with its deliveries) or delivered twice.
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../db";
import { parseJson } from "../store/util";
import { insertDeliveries, type NewDelivery } from "../store/webhook-deliveries";
import { advanceLastSequence, endpointsBehind, type WebhookEndpointRecord } from "../store/webhook-endpoints";
import { eventTypeOf } from "./events";

/** Changes read per endpoint per pass. */
const BATCH = 500;

/** A delivery the dispatcher made, due now. */
export type DispatchedDelivery = NewDelivery & { organizationId: string };

/** Make the deliveries of every endpoint that is behind its feed; returns them (committed, due now). */
export async function dispatchFeed(db: Db, now: Date): Promise<DispatchedDelivery[]> {
  const made: DispatchedDelivery[] = [];
  for (const endpoint of await endpointsBehind(db)) {
    made.push(...(await dispatchEndpoint(db, endpoint, now)));
  }
  return made;
}

async function dispatchEndpoint(db: Db, endpoint: WebhookEndpointRecord, now: Date): Promise<DispatchedDelivery[]> {
  const wanted = new Set(parseJson<string[]>(endpoint.eventTypes, []));
  const from = Number(endpoint.lastSequence);
  return db.transaction().execute(async (trx) => {
    const changes = await trx
      .selectFrom("engagementChanges")
      .select(["sequence", "engagementId", "type", "occurredAt"])
      .where("organizationId", "=", endpoint.organizationId)
      .where("sequence", ">", from)
      .orderBy("sequence")
      .limit(BATCH)
      .execute();
    if (changes.length === 0) return [];
    const to = Number(changes[changes.length - 1].sequence);
    if (!(await advanceLastSequence(trx, endpoint.organizationId, endpoint.id, from, to))) return [];
    const rows = changes
      .filter((c) => wanted.has(eventTypeOf(c.type)))
      .map((c) => ({
        id: deliveryId(),
        endpointId: endpoint.id,
        sequence: Number(c.sequence),
        eventType: eventTypeOf(c.type),
        engagementId: c.engagementId,
        occurredAt: c.occurredAt,
      }));
    await insertDeliveries(trx, endpoint.organizationId, rows, now);
    // The position moved by compare-and-set, so no other dispatcher made deliveries for these changes.
    return rows.map((r) => ({ ...r, organizationId: endpoint.organizationId }));
  });
}

/** A delivery's id, the webhook-id header: "msg_" and a random UUID without dashes. */
export function deliveryId(): string {
  return `msg_${randomUUID().replace(/-/g, "")}`;
}
