/**
 * Webhook endpoints of an organization. Secrets arrive here already sealed (server/webhooks/endpoints.ts
 * seals and opens them); every query is scoped to the organization.
 */
import type { Kysely, Selectable } from "kysely";
import type { Database, WebhookEndpointTable } from "../db/schema";
import { iso, newId } from "./util";

export type WebhookEndpointRecord = Selectable<WebhookEndpointTable>;

export interface NewEndpoint {
  url: string;
  description: string | null;
  eventTypes: readonly string[];
  sealedSecret: string;
  createdBy: string;
}

/** The organization's current last change: a new endpoint gets what happens from now on. */
async function lastSequenceOf(db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom("engagementChanges")
    .select((eb) => eb.fn.max("sequence").as("last"))
    .where("organizationId", "=", organizationId)
    .executeTakeFirst();
  return Number(row?.last ?? 0);
}

export async function countEndpoints(db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom("webhookEndpoints")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("organizationId", "=", organizationId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function insertEndpoint(
  db: Kysely<Database>,
  organizationId: string,
  input: NewEndpoint,
  now: Date,
): Promise<WebhookEndpointRecord> {
  const row: WebhookEndpointRecord = {
    id: newId(),
    organizationId,
    url: input.url,
    description: input.description,
    eventTypes: JSON.stringify(input.eventTypes),
    secret: input.sealedSecret,
    previousSecret: null,
    previousSecretExpiresAt: null,
    status: "active",
    disabledReason: null,
    disabledAt: null,
    lastSequence: await lastSequenceOf(db, organizationId),
    failingSince: null,
    createdBy: input.createdBy,
    createdAt: iso(now),
    updatedAt: iso(now),
  };
  await db.insertInto("webhookEndpoints").values(row).execute();
  return row;
}

export async function listEndpoints(db: Kysely<Database>, organizationId: string): Promise<WebhookEndpointRecord[]> {
  return db
    .selectFrom("webhookEndpoints")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .orderBy("createdAt")
    .orderBy("id")
    .execute();
}

export async function getEndpoint(
  db: Kysely<Database>,
  organizationId: string,
  id: string,
): Promise<WebhookEndpointRecord | null> {
  return (
    (await db
      .selectFrom("webhookEndpoints")
      .selectAll()
      .where("organizationId", "=", organizationId)
      .where("id", "=", id)
      .executeTakeFirst()) ?? null
  );
}

export type EndpointPatch = Partial<
  Pick<
    WebhookEndpointRecord,
    | "url"
    | "description"
    | "eventTypes"
    | "secret"
    | "previousSecret"
    | "previousSecretExpiresAt"
    | "status"
    | "disabledReason"
    | "disabledAt"
    | "failingSince"
  >
>;

/** Change an endpoint; false when it does not exist in the organization. */
export async function updateEndpoint(
  db: Kysely<Database>,
  organizationId: string,
  id: string,
  patch: EndpointPatch,
  now: Date,
): Promise<boolean> {
  const r = await db
    .updateTable("webhookEndpoints")
    .set({ ...patch, updatedAt: iso(now) })
    .where("organizationId", "=", organizationId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Delete an endpoint; its deliveries go with it (foreign key on delete cascade). */
export async function deleteEndpoint(db: Kysely<Database>, organizationId: string, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom("webhookEndpoints")
    .where("organizationId", "=", organizationId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Active endpoints of every organization whose feed has changes past what they were dispatched. */
export async function endpointsBehind(db: Kysely<Database>, limit = 500): Promise<WebhookEndpointRecord[]> {
  return db
    .selectFrom("webhookEndpoints as e")
    .selectAll("e")
    .where("e.status", "=", "active")
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("engagementChanges as c")
          .select("c.sequence")
          .whereRef("c.organizationId", "=", "e.organizationId")
          .whereRef("c.sequence", ">", "e.lastSequence"),
      ),
    )
    .limit(limit)
    .execute();
}

/** Move the endpoint's dispatch position forward (never back: a concurrent dispatcher may be ahead). */
export async function advanceLastSequence(
  db: Kysely<Database>,
  organizationId: string,
  id: string,
  from: number,
  to: number,
): Promise<boolean> {
  const r = await db
    .updateTable("webhookEndpoints")
    .set({ lastSequence: to })
    .where("organizationId", "=", organizationId)
    .where("id", "=", id)
    .where("lastSequence", "=", from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Active endpoints (of every organization) failing since `before` or earlier: candidates for disabling. */
export async function endpointsFailingSince(db: Kysely<Database>, before: Date): Promise<WebhookEndpointRecord[]> {
  return db
    .selectFrom("webhookEndpoints")
    .selectAll()
    .where("status", "=", "active")
    .where("failingSince", "is not", null)
    .where("failingSince", "<=", iso(before))
    .limit(500)
    .execute();
}
