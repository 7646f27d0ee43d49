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
import { InvalidCursorError } from "./errors";
import { loadSharingLevels } from "./sharing";
import { chunks, decodeCursor, encodeCursor, likeContains, parseJson } from "./util";

export type EngagementRecord = Selectable<EngagementTable>;
export type Participant = EngagementView["participants"][number];

export interface EngagementQuery {
  contactId?: string;
  clientId?: string;
  /** Inclusive lower bound on messageTime (ISO). */
  from?: string;
  /** Exclusive upper bound on messageTime (ISO). */
  to?: string;
  cursor?: string;
  limit: number;
}

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
  const views = await unredactedViews(db, organizationId, ids, options);
  const levels = await loadSharingLevels(
    db,
    organizationId,
    views.flatMap((v) => v.mailboxes.map((m) => m.userId)),
  );
  return views.map((v) => redactEngagementView(v, viewer, levels));
}

async function unredactedViews(
  db: Kysely<Database>,
  organizationId: string,
  ids: readonly string[],
  options: { withBody?: boolean },
): Promise<UnredactedView[]> {
  if (ids.length === 0) return [];
  const rows: EngagementRecord[] = [];
  const contacts: {
    engagementId: string;
    id: string;
    email: string;
    name: string | null;
    clientId: string | null;
    clientName: string | null;
  }[] = [];
  const mailboxes: {
    engagementId: string;
    userId: string;
    webLink: string | null;
    email: string;
    displayName: string | null;
  }[] = [];
  for (const part of chunks([...new Set(ids)])) {
    const found = await db
      .selectFrom("engagements")
      .selectAll()
      .where("organizationId", "=", organizationId)
      .where("id", "in", part)
      .execute();
    rows.push(...found);
    contacts.push(
      ...(await db
        .selectFrom("engagementContacts as ec")
        .innerJoin("contacts as c", "c.id", "ec.contactId")
        .leftJoin("clients as cl", "cl.id", "c.clientId")
        .select(["ec.engagementId", "c.id", "c.email", "c.name", "c.clientId", "cl.name as clientName"])
        .where("ec.organizationId", "=", organizationId)
        .where("ec.engagementId", "in", part)
        .orderBy("c.email")
        .execute()),
    );
    mailboxes.push(
      ...(await db
        .selectFrom("engagementMailboxes as em")
        .innerJoin("users as u", (j) =>
          j.onRef("u.id", "=", "em.userId").onRef("u.organizationId", "=", "em.organizationId"),
        )
        .select(["em.engagementId", "em.userId", "em.webLink", "u.email", "u.displayName"])
        .where("em.organizationId", "=", organizationId)
        .where("em.engagementId", "in", part)
        .orderBy("em.createdAt")
        .execute()),
    );
  }
  const copies = await copiesByMessageId(
    db,
    organizationId,
    rows.map((r) => r.internetMessageId),
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids
    .map((id) => byId.get(id))
    .filter((r): r is EngagementRecord => !!r)
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
      if (options.withBody) view.bodyText = r.bodyText;
      return view;
    });
}

/** Ids of the organization's engagements for these Message-IDs, oldest first. */
async function copiesByMessageId(
  db: Kysely<Database>,
  organizationId: string,
  imids: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const part of chunks([...new Set(imids)])) {
    const rows = await db
      .selectFrom("engagements")
      .select(["id", "internetMessageId"])
      .where("organizationId", "=", organizationId)
      .where("internetMessageId", "in", part)
      .orderBy("createdAt")
      .orderBy("id")
      .execute();
    for (const r of rows) out.set(r.internetMessageId, [...(out.get(r.internetMessageId) ?? []), r.id]);
  }
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

/** Newest first, by (messageTime, id) so the cursor is stable among equal times. */
export async function listEngagements(
  db: Kysely<Database>,
  organizationId: string,
  viewer: Viewer,
  query: EngagementQuery,
): Promise<Page<EngagementView>> {
  let qb = db
    .selectFrom("engagements as e")
    .select(["e.id", "e.messageTime"])
    .where("e.organizationId", "=", organizationId);
  if (query.contactId) {
    const contactId = query.contactId;
    qb = qb.where(({ exists, selectFrom }) =>
      exists(
        selectFrom("engagementContacts as ec")
          .select(sql.lit(1).as("one"))
          .whereRef("ec.engagementId", "=", "e.id")
          .where("ec.contactId", "=", contactId),
      ),
    );
  }
  if (query.clientId) {
    const clientId = query.clientId;
    qb = qb.where(({ exists, selectFrom }) =>
      exists(
        selectFrom("engagementContacts as ec")
          .innerJoin("contacts as c", "c.id", "ec.contactId")
          .select(sql.lit(1).as("one"))
          .whereRef("ec.engagementId", "=", "e.id")
          .where("c.clientId", "=", clientId),
      ),
    );
  }
  if (query.from) qb = qb.where("e.messageTime", ">=", query.from);
  if (query.to) qb = qb.where("e.messageTime", "<", query.to);
  if (query.cursor) {
    const key = decodeCursor(query.cursor, 2);
    if (!key) throw new InvalidCursorError();
    const [t, id] = key;
    qb = qb.where((eb) =>
      eb.or([eb("e.messageTime", "<", t), eb.and([eb("e.messageTime", "=", t), eb("e.id", "<", id)])]),
    );
  }
  const rows = await qb
    .orderBy("e.messageTime", "desc")
    .orderBy("e.id", "desc")
    .limit(query.limit + 1)
    .execute();
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
