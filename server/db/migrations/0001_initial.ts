/**
 * The initial schema. Dialect-neutral DDL only (text, integer; no serials, no timestamptz, no JSON types)
 * so SQLite and PostgreSQL run the same statements — see schema.ts for the conventions.
 * Names are snake_case here; the CamelCasePlugin maps them to the camelCase of schema.ts.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("organizations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("oid", "text", (c) => c.notNull())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("display_name", "text")
    .addColumn("addresses", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("addresses_refreshed_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("users_org_oid_uq", ["organization_id", "oid"])
    .execute();
  await db.schema.createIndex("users_org_email_idx").on("users").columns(["organization_id", "email"]).execute();

  await db.schema
    .createTable("mailbox_connections")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("status_reason", "text")
    .addColumn("home_account_id", "text")
    .addColumn("token_cache", "text")
    .addColumn("connected_at", "text")
    .addColumn("last_sweep_at", "text")
    .addColumn("last_success_at", "text")
    .addColumn("last_success_window_end", "text")
    .addColumn("last_error", "text")
    .addColumn("next_sweep_at", "text")
    .addColumn("folder_cache", "text")
    .addColumn("folder_cache_at", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("mailbox_connections_user_uq", ["user_id"])
    .execute();
  // The scheduler's query: active connections due for a sweep.
  await db.schema
    .createIndex("mailbox_connections_due_idx")
    .on("mailbox_connections")
    .columns(["status", "next_sweep_at"])
    .execute();
  await db.schema
    .createIndex("mailbox_connections_org_idx")
    .on("mailbox_connections")
    .columns(["organization_id", "status"])
    .execute();

  await db.schema
    .createTable("clients")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("clients_org_name_uq", ["organization_id", "name"])
    .execute();

  await db.schema
    .createTable("contacts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("client_id", "text", (c) => c.references("clients.id").onDelete("set null"))
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("deleted_at", "text")
    // Also serves the list's cursor pagination (ordered by email) and the status lookup (email in (...)).
    .addUniqueConstraint("contacts_org_email_uq", ["organization_id", "email"])
    .execute();
  await db.schema
    .createIndex("contacts_org_client_idx")
    .on("contacts")
    .columns(["organization_id", "client_id", "email"])
    .execute();

  await db.schema
    .createTable("engagements")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("internet_message_id", "text", (c) => c.notNull())
    .addColumn("conversation_id", "text")
    .addColumn("subject", "text")
    .addColumn("body_text", "text")
    .addColumn("body_preview", "text")
    .addColumn("direction", "text", (c) => c.notNull())
    .addColumn("message_time", "text", (c) => c.notNull())
    .addColumn("sent_at", "text")
    .addColumn("received_at", "text")
    .addColumn("from_address", "text")
    .addColumn("participants", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("engagements_org_imid_uq", ["organization_id", "internet_message_id"])
    .execute();
  // Newest-first listing with a (message_time, id) cursor.
  await db.schema
    .createIndex("engagements_org_time_idx")
    .on("engagements")
    .columns(["organization_id", "message_time", "id"])
    .execute();

  await db.schema
    .createTable("engagement_contacts")
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("engagement_id", "text", (c) => c.notNull().references("engagements.id").onDelete("cascade"))
    .addColumn("contact_id", "text", (c) => c.notNull().references("contacts.id").onDelete("cascade"))
    .addPrimaryKeyConstraint("engagement_contacts_pk", ["engagement_id", "contact_id"])
    .execute();
  await db.schema
    .createIndex("engagement_contacts_contact_idx")
    .on("engagement_contacts")
    .columns(["contact_id", "engagement_id"])
    .execute();

  await db.schema
    .createTable("engagement_mailboxes")
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("engagement_id", "text", (c) => c.notNull().references("engagements.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("graph_message_id", "text", (c) => c.notNull())
    .addColumn("web_link", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("engagement_mailboxes_pk", ["engagement_id", "user_id"])
    .execute();
  await db.schema
    .createIndex("engagement_mailboxes_user_idx")
    .on("engagement_mailboxes")
    .columns(["user_id", "created_at"])
    .execute();

  await db.schema
    .createTable("sweeps")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("trigger", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("window_start", "text", (c) => c.notNull())
    .addColumn("window_end", "text", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .addColumn("listed", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("captured", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("excluded", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("excluded_by_reason", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("graph_requests", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("retries", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("error", "text")
    .execute();
  await db.schema
    .createIndex("sweeps_user_started_idx")
    .on("sweeps")
    .columns(["organization_id", "user_id", "started_at"])
    .execute();

  await db.schema
    .createTable("capture_decisions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("message_key", "text", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("detail", "text")
    .addColumn("engagement_id", "text", (c) => c.references("engagements.id").onDelete("set null"))
    .addColumn("sweep_id", "text", (c) => c.references("sweeps.id").onDelete("set null"))
    .addColumn("decided_at", "text", (c) => c.notNull())
    .addUniqueConstraint("capture_decisions_user_key_uq", ["user_id", "message_key"])
    .execute();
  await db.schema.createIndex("capture_decisions_sweep_idx").on("capture_decisions").columns(["sweep_id"]).execute();
  await db.schema
    .createIndex("capture_decisions_engagement_idx")
    .on("capture_decisions")
    .columns(["engagement_id"])
    .execute();

  await db.schema
    .createTable("blocklist_entries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("cascade"))
    .addColumn("entry", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  // NULLs are distinct in unique constraints on both engines, so organization-wide and personal
  // entries each get their own partial unique index.
  await db.schema
    .createIndex("blocklist_org_entry_uq")
    .on("blocklist_entries")
    .columns(["organization_id", "entry"])
    .unique()
    .where(sql.ref("user_id"), "is", null)
    .execute();
  await db.schema
    .createIndex("blocklist_user_entry_uq")
    .on("blocklist_entries")
    .columns(["organization_id", "user_id", "entry"])
    .unique()
    .where(sql.ref("user_id"), "is not", null)
    .execute();

  await db.schema
    .createTable("auth_states")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("code_verifier", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("auth_states_expires_idx").on("auth_states").columns(["expires_at"]).execute();

  await db.schema
    .createTable("idempotency_keys")
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("request_hash", "text", (c) => c.notNull())
    .addColumn("response", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("idempotency_keys_pk", ["user_id", "key"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    "idempotency_keys",
    "auth_states",
    "blocklist_entries",
    "capture_decisions",
    "sweeps",
    "engagement_mailboxes",
    "engagement_contacts",
    "engagements",
    "contacts",
    "clients",
    "mailbox_connections",
    "users",
    "organizations",
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
