/**
 * Store phase: what a page's decisions add to what is already stored, written one transaction per
 * batch. New engagements need their text bodies first, fetched 20 per $batch and carried across pages
 * so bodies cost one request per 20 captured messages.
 */
import type { Kysely } from "kysely";
import type { CaptureDecision } from "../../../shared/capture";
import type { Clock } from "../../clock";
import type { Database } from "../../db/schema";
import { recordCaptureBatch, storedDecisionsFor, type CaptureItem } from "../../store/capture-decisions";
import { chunks } from "../../store/util";
import { batchGet, MAX_BATCH_ITEMS } from "../batch";
import { captureItem, type RuleContext } from "../decision";
import { GraphRequestFailedError } from "../errors";
import { IMMUTABLE_ID_PREFER } from "../folders";
import { copiesAgree, type CopyFacts } from "../../store/engagement-copies";
import {
  CONTENT_SELECT,
  parseMessageContent,
  toEngagementInput,
  type ListedMessage,
  type MessageContent,
} from "../message-facts";
import type { DecidedMessage, SweepCounters } from "./decide";

/** Captured items per write transaction when no body is fetched (links and decisions only). */
const WRITE_CHUNK = 200;

type GraphBatchClient = Parameters<typeof batchGet>[0];

interface BodyOptions {
  signal?: AbortSignal;
  onRetry?: (n: number) => void;
  maxRounds?: number;
}

/** Text bodies for these messages, 20 per $batch; a message gone since the listing is left out. */
export async function fetchContents(
  client: GraphBatchClient,
  messages: readonly ListedMessage[],
  opts: BodyOptions,
): Promise<Map<string, MessageContent>> {
  const out = new Map<string, MessageContent>();
  const headers = { Prefer: `outlook.body-content-type="text", ${IMMUTABLE_ID_PREFER}` };
  for (const part of chunks(messages, MAX_BATCH_ITEMS)) {
    const answers = await batchGet(
      client,
      part.map((m, i) => ({
        id: String(i),
        url: `/me/messages/${encodeURIComponent(m.id)}?$select=${CONTENT_SELECT.join(",")}`,
        headers,
      })),
      opts,
    );
    part.forEach((m, i) => {
      const a = answers.get(String(i))!;
      if (a.status === 200) out.set(m.id, parseMessageContent(a.body));
      else if (a.status !== 404) {
        const code = (a.body as { error?: { code?: string } } | null)?.error?.code ?? null;
        throw new GraphRequestFailedError(
          `Graph could not return a captured message's body (HTTP ${a.status}${code ? ` ${code}` : ""}).`,
          a.status,
          code,
        );
      }
    });
  }
  return out;
}

export interface CaptureWriterDeps {
  db: Kysely<Database>;
  clock: Clock;
  organizationId: string;
  userId: string;
  sweepId: string;
  ctx: RuleContext;
  client: GraphBatchClient;
  counters: SweepCounters;
  bodies: BodyOptions;
  /** Called after every stored batch. */
  onStored: () => void;
  /** Called after a stored batch that captured something (the changes feed grew). */
  onChanges?: () => void;
}

export interface CaptureWriter {
  /**
   * Store what this page adds; full body batches are fetched and stored at once, the rest waits.
   * `contents`: bodies already read with the page (a targeted search), never fetched again.
   */
  storePage(decided: readonly DecidedMessage[], contents?: ReadonlyMap<string, MessageContent>): Promise<void>;
  /** After the last page: the remaining bodies, then the copies that waited for their engagement. */
  finish(): Promise<void>;
}

/** Already decided the same way (or captured, which an exclusion never downgrades): nothing to write. */
function sameExclusionStored(
  stored: { outcome: string; reason: string | null; detail: string | null } | undefined,
  d: CaptureDecision,
): boolean {
  if (!stored || d.outcome !== "excluded") return false;
  const detail = d.detail.folder ? JSON.stringify({ folder: d.detail.folder }) : null;
  return stored.outcome === "captured" || (stored.reason === d.reason && stored.detail === detail);
}

export function createCaptureWriter(deps: CaptureWriterDeps): CaptureWriter {
  const { db, clock, organizationId, userId, sweepId, ctx, client, counters } = deps;
  const pendingBodies: { m: ListedMessage; d: CaptureDecision }[] = [];
  /** Copies whose engagement is created once their body arrives, by internetMessageId. */
  const pendingCopies = new Map<string, CopyFacts[]>();
  const afterBodies: CaptureItem[] = [];
  const prefetched = new Map<string, MessageContent>();

  const write = async (items: CaptureItem[]) => {
    if (!items.length) return;
    await db
      .transaction()
      .execute((trx) => recordCaptureBatch(trx, organizationId, userId, sweepId, items, clock.now()));
    counters.stored += items.length;
    deps.onStored();
    if (items.some((i) => i.outcome === "captured")) deps.onChanges?.();
  };

  const flushBodies = async (part: { m: ListedMessage; d: CaptureDecision }[]) => {
    const missing = part.filter((x) => !prefetched.has(x.m.id)).map((x) => x.m);
    const contents = missing.length ? await fetchContents(client, missing, deps.bodies) : new Map();
    for (const x of part) {
      const known = prefetched.get(x.m.id);
      if (known) contents.set(x.m.id, known);
      prefetched.delete(x.m.id);
    }
    // One transaction per body batch. A message deleted since the listing gets no decision; the next sweep will not see it either.
    await write(part.filter((x) => contents.has(x.m.id)).map((x) => captureItem(x.m, x.d, ctx, contents.get(x.m.id)!)));
    for (const x of part) pendingCopies.delete(x.m.internetMessageId);
  };

  async function storePage(
    decided: readonly DecidedMessage[],
    contents?: ReadonlyMap<string, MessageContent>,
  ): Promise<void> {
    const capturedIds = [
      ...new Set(decided.filter((x) => x.d.outcome === "captured").map((x) => x.m.internetMessageId)),
    ];
    const stored = await storedDecisionsFor(
      db,
      organizationId,
      userId,
      decided.map((x) => x.key),
      capturedIds,
    );
    const plain: CaptureItem[] = [];
    for (const { m, d, key } of decided) {
      if (d.outcome === "excluded") {
        if (!sameExclusionStored(stored.decisions.get(key), d)) plain.push(captureItem(m, d, ctx, null));
        continue;
      }
      if (stored.decisions.get(key)?.outcome !== "captured") counters.newlyCaptured++;
      // Only a copy that agrees with an engagement's copy is that message; any other needs its own body.
      const facts: CopyFacts = toEngagementInput(m, d, null);
      const agrees = (list: CopyFacts[] | undefined) => !!list?.some((f) => copiesAgree(facts, f));
      if (agrees(pendingCopies.get(m.internetMessageId))) {
        // A copy of a message whose body is still to be fetched: store it after that engagement exists.
        afterBodies.push(captureItem(m, d, ctx, null));
      } else if (agrees(stored.engaged.get(m.internetMessageId))) {
        // The engagement exists (another mailbox, an earlier sweep): link this mailbox and any new contact, no body.
        plain.push(captureItem(m, d, ctx, null));
      } else {
        pendingCopies.set(m.internetMessageId, [...(pendingCopies.get(m.internetMessageId) ?? []), facts]);
        pendingBodies.push({ m, d });
        const known = contents?.get(m.id);
        if (known) prefetched.set(m.id, known);
      }
    }
    while (pendingBodies.length >= MAX_BATCH_ITEMS) await flushBodies(pendingBodies.splice(0, MAX_BATCH_ITEMS));
    for (const part of chunks(plain, WRITE_CHUNK)) await write(part);
  }

  async function finish(): Promise<void> {
    while (pendingBodies.length) await flushBodies(pendingBodies.splice(0, MAX_BATCH_ITEMS));
    for (const part of chunks(afterBodies, WRITE_CHUNK)) await write(part);
  }

  return { storePage, finish };
}
