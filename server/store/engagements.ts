/**
 * Engagements: captured emails, linked to contacts (and through them to clients) and to every mailbox
 * the message was found in. One per organization and message: copies of a Message-ID that disagree
 * on sender, sent time or participants are separate engagements (engagement-copies.ts), and each
 * view names the others in `conflictsWith`.
 * Writing happens in capture-decisions.ts (recordCaptureBatch, removeEngagements); this module reads, and
 * plans which engagements a removal on request (a blocklist entry, an untracked contact) may delete.
 */
import { sql, type Kysely, type Selectable } from "kysely";
import type { EngagementView, Page } from "../../shared/api/contract";
import { blockingEntry, normalizeAddress } from "../../shared/capture";
import { redactEngagementView, type UnredactedView, type Viewer } from "../../shared/sharing";
import type { Database, EngagementTable } from "../db/schema";
import { pageRows, type PageQuery } from "./engagement-pages";
import { getOrganizationSharing, sharingLevelsOf } from "./sharing";
import { chunks, encodeCursor, likeContains, parseJson } from "./util";

export type EngagementRecord = Selectable<EngagementTable>;
export type Participant = EngagementView["participants"][number];

export type EngagementQuery = PageQuery;

/**
 * Views for the given engagement ids as this viewer may see them (sharing levels), in the order given; ids
 * of other organizations are skipped. The only way an engagement's content leaves the store.
 */
export async function getEngagementViews(
  db: Kysely<Database>,
  organizationId: string,
  viewer: Viewer,
  ids: readonly string[],
  options: { withBody?: boolean } = {},
): Promise<EngagementView[]> {
  if (ids.length === 0) return [];
  const [{ views, owners }, org] = await Promise.all([
    unredactedViews(db, organizationId, ids, options),
    getOrganizationSharing(db, organizationId),
  ]);
  const levels = sharingLevelsOf(org, owners);
  return views.map((v) => redactEngagementView(v, viewer, levels));
}

type EngagementRow = Omit<EngagementRecord, "bodyText" | "copyFingerprint"> & { bodyText?: string | null };

const LIST_COLUMNS = [
  "id",
  "organizationId",
  "internetMessageId",
  "conversationId",
  "subject",
  "bodyPreview",
  "bodyTruncated",
  "direction",
  "messageTime",
  "sentAt",
  "receivedAt",
  "fromAddress",
  "participants",
  "createdAt",
] as const;

interface ViewParts {
  rows: EngagementRow[];
  copies: Map<string, string[]>;
  contacts: {
    engagementId: string;
    id: string;
    email: string;
    name: string | null;
    clientId: string | null;
    clientName: string | null;
  }[];
  mailboxes: {
    engagementId: string;
    userId: string;
    webLink: string | null;
    email: string;
    displayName: string | null;
    sharingLevel?: string | null;
  }[];
}

/** The rows behind some views: the engagements (the body only when asked), their contacts, mailboxes and copies. */
async function viewParts(
  db: Kysely<Database>,
  organizationId: string,
  part: readonly string[],
  withBody: boolean,
): Promise<ViewParts> {
  const [rows, contacts, mailboxes, copies] = await Promise.all([
    db
      .selectFrom("engagements")
      .select(withBody ? [...LIST_COLUMNS, "bodyText"] : LIST_COLUMNS)
      .where("organizationId", "=", organizationId)
      .where("id", "in", part)
      .execute(),
    db
      .selectFrom("engagementContacts as ec")
      .innerJoin("contacts as c", "c.id", "ec.contactId")
      .leftJoin("clients as cl", "cl.id", "c.clientId")
      .select(["ec.engagementId", "c.id", "c.email", "c.name", "c.clientId", "cl.name as clientName"])
      .where("ec.organizationId", "=", organizationId)
      .where("ec.engagementId", "in", part)
      .orderBy("c.email")
      .execute(),
    db
      .selectFrom("engagementMailboxes as em")
      .innerJoin("users as u", (j) =>
        j.onRef("u.id", "=", "em.userId").onRef("u.organizationId", "=", "em.organizationId"),
      )
      .select(["em.engagementId", "em.userId", "em.webLink", "u.email", "u.displayName", "u.sharingLevel"])
      .where("em.organizationId", "=", organizationId)
      .where("em.engagementId", "in", part)
      .orderBy("em.createdAt")
      .orderBy("em.userId")
      .execute(),
    copiesOf(db, organizationId, part),
  ]);
  return { rows, contacts, mailboxes, copies };
}

async function unredactedViews(
  db: Kysely<Database>,
  organizationId: string,
  ids: readonly string[],
  options: { withBody?: boolean },
): Promise<{ views: UnredactedView[]; owners: { id: string; sharingLevel?: string | null }[] }> {
  const parts = await Promise.all(
    chunks([...new Set(ids)]).map((part) => viewParts(db, organizationId, part, options.withBody === true)),
  );
  const rows = parts.flatMap((p) => p.rows);
  const contacts = parts.flatMap((p) => p.contacts);
  const mailboxes = parts.flatMap((p) => p.mailboxes);
  const copies = new Map<string, string[]>();
  for (const p of parts) for (const [imid, list] of p.copies) if (!copies.has(imid)) copies.set(imid, list);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const views = ids
    .map((id) => byId.get(id))
    .filter((r): r is EngagementRow => !!r)
    .map((r) => {
      const cs = contacts.filter((c) => c.engagementId === r.id);
      const clients = new Map<string, { id: string; name: string }>();
      for (const c of cs)
        if (c.clientId && c.clientName != null) clients.set(c.clientId, { id: c.clientId, name: c.clientName });
      const view: UnredactedView = {
        id: r.id,
        internetMessageId: r.internetMessageId,
        conversationId: r.conversationId,
        subject: r.subject,
        bodyPreview: r.bodyPreview,
        truncated: r.bodyTruncated === 1,
        direction: r.direction,
        messageTime: r.messageTime,
        sentAt: r.sentAt,
        receivedAt: r.receivedAt,
        from: r.fromAddress,
        participants: parseJson<Participant[]>(r.participants, []),
        contacts: cs.map((c) => ({ id: c.id, email: c.email, name: c.name })),
        clients: [...clients.values()],
        mailboxes: mailboxes
          .filter((m) => m.engagementId === r.id)
          .map((m) => ({ userId: m.userId, email: m.email, displayName: m.displayName, webLink: m.webLink })),
        conflictsWith: (copies.get(r.internetMessageId) ?? []).filter((id) => id !== r.id),
        capturedAt: r.createdAt,
      };
      if (options.withBody) view.bodyText = r.bodyText ?? null;
      return view;
    });
  return { views, owners: mailboxes.map((m) => ({ id: m.userId, sharingLevel: m.sharingLevel })) };
}

/** By Message-ID of these engagements: the organization's engagements with it (copies), oldest first. */
async function copiesOf(
  db: Kysely<Database>,
  organizationId: string,
  part: readonly string[],
): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom("engagements as o")
    .select(["o.id", "o.internetMessageId"])
    .where("o.organizationId", "=", organizationId)
    .where(
      "o.internetMessageId",
      "in",
      db
        .selectFrom("engagements as s")
        .select("s.internetMessageId")
        .where("s.organizationId", "=", organizationId)
        .where("s.id", "in", part),
    )
    .orderBy("o.createdAt")
    .orderBy("o.id")
    .execute();
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.internetMessageId, [...(out.get(r.internetMessageId) ?? []), r.id]);
  return out;
}

export async function getEngagementView(
  db: Kysely<Database>,
  organizationId: string,
  viewer: Viewer,
  id: string,
): Promise<EngagementView | null> {
  return (await getEngagementViews(db, organizationId, viewer, [id], { withBody: true }))[0] ?? null;
}

/** A page of engagements as the viewer may see them: the organization's, or a contact's or client's history. */
export async function listEngagements(
  db: Kysely<Database>,
  organizationId: string,
  viewer: Viewer,
  query: EngagementQuery,
): Promise<Page<EngagementView>> {
  const rows = await pageRows(db, organizationId, query);
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  const last = page[page.length - 1];
  return {
    items: await getEngagementViews(
      db,
      organizationId,
      viewer,
      page.map((r) => r.id),
    ),
    nextCursor: more && last ? encodeCursor([last.messageTime, last.id]) : null,
  };
}

/**
 * The user's own copy of an engagement's message: `missing` when the organization has no such
 * engagement, else its Graph id in this user's mailbox (null when the engagement is not in it).
 */
export async function mailboxCopyOf(
  db: Kysely<Database>,
  organizationId: string,
  engagementId: string,
  userId: string,
): Promise<{ missing: true } | { missing: false; graphMessageId: string | null }> {
  const engagement = await db
    .selectFrom("engagements")
    .select("id")
    .where("organizationId", "=", organizationId)
    .where("id", "=", engagementId)
    .executeTakeFirst();
  if (!engagement) return { missing: true };
  const link = await db
    .selectFrom("engagementMailboxes")
    .select("graphMessageId")
    .where("organizationId", "=", organizationId)
    .where("engagementId", "=", engagementId)
    .where("userId", "=", userId)
    .executeTakeFirst();
  return { missing: false, graphMessageId: link?.graphMessageId ?? null };
}

/** Whose engagements a removal may delete: the whole organization's (administrators), or one mailbox's own. */
export type RemovalReach = { kind: "organization" } | { kind: "mailbox"; userId: string };

export interface RemovalPlan {
  /** Engagement ids that would be deleted. */
  remove: string[];
  /** Matching engagements that stay: also found in another mailbox than the caller's (mailbox reach only). */
  keptShared: number;
  /** Matching engagements that stay: linked to another live contact too (untracking only). */
  keptOtherContact: number;
}

/** Engagements with a participant (from, to, cc) that this normalised blocklist entry blocks. */
export async function engagementsInvolving(
  db: Kysely<Database>,
  organizationId: string,
  entry: string,
): Promise<string[]> {
  // A coarse LIKE on the participants' JSON narrows the rows; the capture rules' own matcher decides.
  const needle = entry.startsWith("@") ? entry.slice(1) : entry;
  const rows = await db
    .selectFrom("engagements")
    .select(["id", "participants"])
    .where("organizationId", "=", organizationId)
    .where(sql<boolean>`lower(${sql.ref("participants")}) like ${likeContains(needle)} escape '\\'`)
    .execute();
  return rows
    .filter((r) =>
      parseJson<Participant[]>(r.participants, []).some((p) => {
        const address = normalizeAddress(p?.address);
        return address !== null && blockingEntry(address, [entry]) !== null;
      }),
    )
    .map((r) => r.id);
}

/** Engagements linked to this contact, split by whether another live contact is linked too. */
export async function engagementsOfContact(
  db: Kysely<Database>,
  organizationId: string,
  contactId: string,
): Promise<{ only: string[]; shared: number }> {
  const rows = await db
    .selectFrom("engagementContacts as ec")
    .select(["ec.engagementId"])
    .where("ec.organizationId", "=", organizationId)
    .where("ec.contactId", "=", contactId)
    .where(({ exists, selectFrom, not }) =>
      not(
        exists(
          selectFrom("engagementContacts as other")
            .innerJoin("contacts as c", "c.id", "other.contactId")
            .select(sql.lit(1).as("one"))
            .whereRef("other.engagementId", "=", "ec.engagementId")
            .where("other.contactId", "<>", contactId)
            .where("c.deletedAt", "is", null),
        ),
      ),
    )
    .execute();
  const all = await db
    .selectFrom("engagementContacts")
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .where("organizationId", "=", organizationId)
    .where("contactId", "=", contactId)
    .executeTakeFirst();
  const only = rows.map((r) => r.engagementId);
  return { only, shared: Number(all?.n ?? 0) - only.length };
}

/**
 * Narrow candidates to what the caller may remove. Organization reach: all of them. Mailbox reach: only
 * engagements found in that mailbox and in no other (a colleague's copy is their record, not the caller's).
 */
export async function planRemoval(
  db: Kysely<Database>,
  organizationId: string,
  candidates: readonly string[],
  reach: RemovalReach,
  keptOtherContact = 0,
): Promise<RemovalPlan> {
  if (reach.kind === "organization") return { remove: [...candidates], keptShared: 0, keptOtherContact };
  const owners = new Map<string, Set<string>>();
  for (const part of chunks([...new Set(candidates)])) {
    const rows = await db
      .selectFrom("engagementMailboxes")
      .select(["engagementId", "userId"])
      .where("organizationId", "=", organizationId)
      .where("engagementId", "in", part)
      .execute();
    for (const r of rows) owners.set(r.engagementId, (owners.get(r.engagementId) ?? new Set()).add(r.userId));
  }
  const remove: string[] = [];
  let keptShared = 0;
  for (const [id, users] of owners) {
    if (!users.has(reach.userId)) continue;
    if (users.size === 1) remove.push(id);
    else keptShared++;
  }
  return { remove, keptShared, keptOtherContact };
}

/** Retention: up to `limit` ids of the organization's engagements whose message is older than `before`. */
export async function engagementIdsOlderThan(
  db: Kysely<Database>,
  organizationId: string,
  before: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom("engagements")
    .select("id")
    .where("organizationId", "=", organizationId)
    .where("messageTime", "<", before)
    .orderBy("messageTime")
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
