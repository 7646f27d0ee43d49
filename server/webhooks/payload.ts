/**
 * What a webhook carries: {type, timestamp, data: {engagementId, sequence, engagement}} — the same change
 * as the feed's item, with the engagement as it is when the attempt is made (null for a deletion, or
 * when it was deleted since). The ONE place a delivery's engagement view is built, from the view builder
 * the feed uses (getEngagementViews), so whatever the feed shows an application (and hides from it) a
 * webhook shows too: an application sees the organization's integration sharing level (shared/sharing).
 */
import type { EngagementView } from "../../shared/api/contract";
import type { Db } from "../db";
import { getEngagementViews } from "../store/engagements";
import type { WebhookDeliveryRecord } from "../store/webhook-deliveries";

export interface WebhookPayload {
  type: string;
  /** When the change happened (the feed's occurredAt). */
  timestamp: string;
  data: { engagementId: string; sequence: number; engagement: EngagementView | null };
}

/** The engagement views an application may see, by id (what the changes feed shows). */
export async function webhookEngagementViews(
  db: Db,
  organizationId: string,
  ids: readonly string[],
): Promise<Map<string, EngagementView>> {
  const views = await getEngagementViews(db, organizationId, { kind: "app" }, ids);
  return new Map(views.map((v) => [v.id, v]));
}

/** Payload bodies for deliveries of one organization, by delivery id. */
export async function buildPayloads(
  db: Db,
  organizationId: string,
  deliveries: readonly Pick<WebhookDeliveryRecord, "id" | "eventType" | "engagementId" | "sequence" | "occurredAt">[],
): Promise<Map<string, string>> {
  const live = deliveries.filter((d) => d.eventType !== "engagement.deleted").map((d) => d.engagementId);
  const views = await webhookEngagementViews(db, organizationId, live);
  const out = new Map<string, string>();
  for (const d of deliveries) {
    const payload: WebhookPayload = {
      type: d.eventType,
      timestamp: d.occurredAt,
      data: {
        engagementId: d.engagementId,
        sequence: Number(d.sequence),
        engagement: d.eventType === "engagement.deleted" ? null : (views.get(d.engagementId) ?? null),
      },
    };
    out.set(d.id, JSON.stringify(payload));
  }
  return out;
}
