/** Webhook event types: one per kind of change in the feed. */
import type { z } from "zod";
import type { webhookEventTypeSchema } from "../../shared/api/schemas";
import type { EngagementChangeType } from "../store/engagement-changes";

export type WebhookEventType = z.infer<typeof webhookEventTypeSchema>;

export const eventTypeOf = (change: EngagementChangeType): WebhookEventType => `engagement.${change}`;
