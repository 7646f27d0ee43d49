/**
 * Which engagements are on one page of GET /api/engagements: the organization's newest first, or a contact's
 * or client's history (the pane's person and client views), by (messageTime, id) so the cursor is stable
 * among equal times. Views are built from the ids by engagements.ts.
 *
 * A history is found whichever way is bounded, because either database's planner alone walks the
 * organization's engagements newest first and tests each for the link — fast for a client with much of the
 * mail, a read of every engagement for a small client in a large organization:
 * 1. with at most FEW_LINKS links, from the links: their engagements by primary key, sorted;
 * 2. else walk at most WALK_BOUND of the organization's newest (from the cursor) and keep the linked ones:
 *    a full page there, or nothing beyond them, answers (any history with more than about 1% of the mail);
 * 3. else, with at most LINKS_BOUND links, from the links as in 1 (cost grows with the history, not the
 *    organization);
 * 4. else an unbounded walk: more than LINKS_BOUND linked engagements, at under 1% of the organization's,
 *    so a page is reached after about a hundred engagements per linked one.
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "../db/schema";
import { InvalidCursorError } from "./errors";
import { decodeCursor } from "./util";

export const FEW_LINKS = 200;
export const WALK_BOUND = 2000;
export const LINKS_BOUND = 5000;

export interface PageQuery {
  contactId?: string;
  clientId?: string;
  /** Inclusive lower bound on messageTime (ISO). */
  from?: string;
  /** Exclusive upper bound on messageTime (ISO). */
  to?: string;
  cursor?: string;
  limit: number;
}

export interface PageRow {
  id: string;
  messageTime: string;
}

/** The organization's engagements within the query's time bounds and after its cursor (not yet ordered). */
function recent(db: Kysely<Database>, organizationId: string, query: PageQuery) {
  let qb = db
    .selectFrom("engagements as e")
    .select(["e.id", "e.messageTime"])
    .where("e.organizationId", "=", organizationId);
  if (query.from) qb = qb.where("e.messageTime", ">=", query.from);
  if (query.to) qb = qb.where("e.messageTime", "<", query.to);
  if (query.cursor) {
    const key = decodeCursor(query.cursor, 2);
    if (!key) throw new InvalidCursorError();
    const [t, id] = key;
    // The first condition alone lets both databases seek the time index to the cursor; the second is exact.
    qb = qb
      .where("e.messageTime", "<=", t)
      .where((eb) => eb.or([eb("e.messageTime", "<", t), eb.and([eb("e.messageTime", "=", t), eb("e.id", "<", id)])]));
  }
  return qb;
}

/** `e` is linked to the query's contact and client (true without either). */
function linked(query: PageQuery) {
  const parts = [];
  if (query.contactId)
    parts.push(
      sql<boolean>`exists (select 1 from engagement_contacts ec where ec.engagement_id = e.id and ec.contact_id = ${query.contactId})`,
    );
  if (query.clientId)
    parts.push(
      sql<boolean>`exists (select 1 from engagement_contacts ec join contacts c on c.id = ec.contact_id where ec.engagement_id = e.id and c.client_id = ${query.clientId})`,
    );
  return parts.length ? sql<boolean>`(${sql.join(parts, sql` and `)})` : sql<boolean>`1 = 1`;
}

/**
 * The page (and one row more, to know there is another) by walking the organization's engagements newest
 * first; with `bound`, only the newest `bound` of them. Exported for the history benchmark's query plans.
 */
export function walkQuery(db: Kysely<Database>, organizationId: string, query: PageQuery, bound?: number) {
  const base = recent(db, organizationId, query);
  if (bound === undefined)
    return base
      .where(linked(query))
      .orderBy("e.messageTime", "desc")
      .orderBy("e.id", "desc")
      .limit(query.limit + 1);
  const window = base.orderBy("e.messageTime", "desc").orderBy("e.id", "desc").limit(bound).as("e");
  return db
    .selectFrom(window)
    .select(["e.id", "e.messageTime"])
    .where(linked(query))
    .orderBy("e.messageTime", "desc")
    .orderBy("e.id", "desc")
    .limit(query.limit + 1);
}

/** Whether the organization has more than `bound` engagements within the query's bounds and after its cursor. */
async function beyond(db: Kysely<Database>, organizationId: string, query: PageQuery, bound: number) {
  const row = await recent(db, organizationId, query)
    .orderBy("e.messageTime", "desc")
    .orderBy("e.id", "desc")
    .offset(bound)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The engagement ids linked to the query's contact or client; null when there are more than `bound`. */
async function linkedIds(
  db: Kysely<Database>,
  organizationId: string,
  query: PageQuery,
  bound: number,
): Promise<string[] | null> {
  // From the contacts (indexed by organization and client) to their links (indexed by contact): a join, so
  // SQLite's planner does not scan every link testing it against a list. Counted first, up to one over the
  // bound, so a large history costs no transfer of its ids.
  let links = db
    .selectFrom("contacts as c")
    .innerJoin("engagementContacts as ec", "ec.contactId", "c.id")
    .select("ec.engagementId")
    .where("c.organizationId", "=", organizationId);
  if (query.contactId) links = links.where("c.id", "=", query.contactId);
  if (query.clientId) links = links.where("c.clientId", "=", query.clientId);
  const counted = await db
    .selectFrom(links.limit(bound + 1).as("l"))
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .executeTakeFirst();
  if (Number(counted?.n ?? 0) > bound) return null;
  return [...new Set((await links.execute()).map((r) => r.engagementId))];
}

/** The page from known engagement ids (a bounded number): by primary key, then sorted. */
function byIds(db: Kysely<Database>, organizationId: string, query: PageQuery, ids: readonly string[]) {
  return recent(db, organizationId, query)
    .where("e.id", "in", ids.length ? [...ids] : [""])
    .orderBy("e.messageTime", "desc")
    .orderBy("e.id", "desc")
    .limit(query.limit + 1);
}

/** The ids of one page and one row more when there is another, newest first. */
export async function pageRows(db: Kysely<Database>, organizationId: string, query: PageQuery): Promise<PageRow[]> {
  if (!query.contactId && !query.clientId) return walkQuery(db, organizationId, query).execute();
  const few = await linkedIds(db, organizationId, query, FEW_LINKS);
  if (few) return byIds(db, organizationId, query, few).execute();
  const near = await walkQuery(db, organizationId, query, WALK_BOUND).execute();
  if (near.length > query.limit || !(await beyond(db, organizationId, query, WALK_BOUND))) return near;
  const ids = await linkedIds(db, organizationId, query, LINKS_BOUND);
  return (ids ? byIds(db, organizationId, query, ids) : walkQuery(db, organizationId, query)).execute();
}
