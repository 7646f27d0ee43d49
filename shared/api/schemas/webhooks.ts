/** Webhooks (Standard Webhooks): endpoints, their deliveries, and what a delivery carries. */
import { z } from "zod";
import { dateTime, cursorQuery, limitQuery, nullableDateTime, text } from "./common";
import { engagementViewSchema } from "./engagements";

export const WEBHOOK_EVENT_TYPES = ["engagement.created", "engagement.updated", "engagement.deleted"] as const;
export const webhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES).meta({ id: "WebhookEventType" });

const url = text(2048)
  .min(1)
  .meta({ description: "An https:// URL at a public address.", example: "https://crm.contoso.com/hooks/engagements" });
const eventTypes = z
  .array(webhookEventTypeSchema)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .meta({ description: "The events to send." });

export const webhookEndpointCreateSchema = z
  .strictObject({
    url,
    description: text(200).nullable().default(null),
    eventTypes: eventTypes.default([...WEBHOOK_EVENT_TYPES]),
  })
  .meta({ id: "WebhookEndpointInput" });

export const webhookEndpointUpdateSchema = z
  .strictObject({
    url: url.optional(),
    description: text(200).nullable().optional(),
    eventTypes: eventTypes.optional(),
  })
  .meta({ id: "WebhookEndpointPatch" });

export const webhookEndpointViewSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(webhookEventTypeSchema),
    status: z.enum(["active", "disabled"]),
    disabledReason: z
      .string()
      .nullable()
      .meta({ description: "Why deliveries stopped (every attempt failing for days); enable to resume." }),
    disabledAt: nullableDateTime,
    previousSecretExpiresAt: nullableDateTime.meta({
      description: "After a rotation: until then the old secret signs too (a second signature).",
    }),
    createdBy: z.string().meta({ description: "The user id, or app:<client id> for an application." }),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  .meta({ id: "WebhookEndpoint" });

export const webhookEndpointCreatedSchema = webhookEndpointViewSchema
  .extend({
    secret: z.string().meta({
      description: "The signing secret (whsec_…), shown only now: store it to verify signatures.",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  })
  .meta({ id: "WebhookEndpointCreated" });

export const webhookRotateSchema = z
  .strictObject({
    overlapHours: z
      .number()
      .int()
      .min(0)
      .max(168)
      .default(24)
      .meta({ description: "How long the old secret keeps signing beside the new one." }),
  })
  .meta({ id: "WebhookRotateInput" });

export const webhookRotatedSchema = z
  .object({ secret: z.string(), previousSecretExpiresAt: dateTime })
  .meta({ id: "WebhookSecretRotated" });

export const webhookDeliveryStatusSchema = z.enum(["pending", "succeeded", "failed"]);

export const webhookDeliverySchema = z
  .object({
    id: z.string().meta({ description: "The webhook-id header: the same on every attempt and replay." }),
    sequence: z.number().int().meta({ description: "The change's sequence in the changes feed." }),
    eventType: webhookEventTypeSchema,
    engagementId: z.string(),
    occurredAt: dateTime,
    status: webhookDeliveryStatusSchema.meta({
      description: "pending (not yet or to be retried), succeeded (2xx), failed (every attempt failed)",
    }),
    attempts: z.number().int(),
    lastAttemptAt: nullableDateTime,
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: nullableDateTime,
    deliveredAt: nullableDateTime,
  })
  .meta({ id: "WebhookDelivery" });

export const webhookDeliveriesQuery = z.strictObject({
  status: webhookDeliveryStatusSchema.optional(),
  cursor: cursorQuery.optional(),
  limit: limitQuery,
});

export const webhookReplaySchema = z
  .union([
    z.strictObject({ deliveryId: z.string().min(1).max(100) }),
    z.strictObject({
      since: z.iso.datetime({ offset: true }).meta({ description: "Every delivery of changes from then on." }),
    }),
  ])
  .meta({ id: "WebhookReplayInput" });

export const webhookReplayedSchema = z.object({ replayed: z.number().int() }).meta({ id: "WebhookReplayed" });

/** The JSON body of every delivery (headers webhook-id, webhook-timestamp, webhook-signature). */
export const webhookPayloadSchema = z
  .object({
    type: webhookEventTypeSchema,
    timestamp: dateTime.meta({ description: "When the change happened." }),
    data: z.object({
      engagementId: z.string(),
      sequence: z.number().int().meta({ description: "The change's sequence in GET /api/engagements/changes." }),
      engagement: engagementViewSchema
        .nullable()
        .meta({ description: "The engagement as it is when sent (no bodyText); null when deleted." }),
    }),
  })
  .meta({ id: "WebhookPayload" });
