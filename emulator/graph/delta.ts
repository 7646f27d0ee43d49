/**
 * `GET …/mailFolders/{id}/messages/delta`: a round of pages linked by `$skiptoken` nextLinks, ending
 * with a `$deltatoken` deltaLink; following that deltaLink starts a round with only what changed in
 * the folder since (created, updated, moved in; `@removed` for deleted or moved out). Query options
 * are taken from the round's first request and kept in the tokens. Tokens unknown, malformed,
 * invalidated (`state.invalidateSyncStates`) or older than `state.syncStateLifetimeMs` → 410 SyncStateNotFound.
 */
import { parseFilter } from "../odata";
import type {
  DeltaItem,
  DeltaOptions,
  EmulatorState,
  FolderRecord,
  MessageRecord,
  SyncedMessage,
  UserRecord,
} from "../state";
import { GraphFailure, type GraphRequest, type GraphResponse, ok } from "./protocol";
import { type Prefer, expandedPropIds, parsePrefer, parseSelect, parseTop, preferenceApplied } from "./query";
import { messageJson } from "./representations";

/** Where a page of a round starts: the round's options and entries, and what the client holds at its end. */
interface RoundPosition {
  options: DeltaOptions;
  items: DeltaItem[];
  offset: number;
  snapshot: Map<string, SyncedMessage>;
}

const UNSUPPORTED_DELTA_FILTER =
  "The '$filter' parameter value is not supported for 'Messages' resource; only a value of 'receivedDateTime ge value' is supported.";

export function delta(
  st: EmulatorState,
  user: UserRecord,
  folder: FolderRecord,
  req: GraphRequest,
  link: string,
): GraphResponse {
  const q = req.query;
  const prefer = parsePrefer(req);
  const skipToken = q.get("$skiptoken");
  const deltaToken = q.get("$deltatoken");
  const pos =
    skipToken !== null || deltaToken !== null
      ? continueRound(st, user, folder, (skipToken ?? deltaToken)!, skipToken !== null ? "skip" : "delta")
      : firstRound(st, user, folder, deltaOptions(q));
  const { value, next } = page(st, folder, pos, prefer);
  const { options, items, snapshot } = pos;
  const body: Record<string, unknown> = { "@odata.context": `${st.url}/v1.0/$metadata#Collection(message)` };
  if (next < items.length) {
    const s = st.issueSyncState({
      kind: "skip",
      userId: user.id,
      folderId: folder.id,
      options,
      snapshot,
      items,
      offset: next,
    });
    body["@odata.nextLink"] = `${link}?$skiptoken=${s.token}`;
  } else {
    const done = st.issueSyncState({ kind: "delta", userId: user.id, folderId: folder.id, options, snapshot });
    body["@odata.deltaLink"] = `${link}?$deltatoken=${done.token}`;
  }
  body.value = value;
  const applied = [...prefer.applied];
  if (prefer.maxPageSize !== null) applied.push(`odata.maxpagesize=${prefer.maxPageSize}`);
  return ok(body, preferenceApplied(applied));
}

/** The folder's messages a round covers, newest first. */
function inFolder(st: EmulatorState, user: UserRecord, folder: FolderRecord, f: DeltaOptions): MessageRecord[] {
  const since = f.filter ? deltaFilter(f.filter) : null;
  return st
    .getMessages(user.id)
    .filter(
      (m) =>
        m.folderId === folder.id &&
        (!since || (since.op === "ge" ? m.receivedDateTime >= since.value : m.receivedDateTime > since.value)),
    )
    .sort((a, b) => b.receivedDateTime.getTime() - a.receivedDateTime.getTime());
}

function synced(m: MessageRecord): SyncedMessage {
  return {
    id: m.id,
    immutableId: m.immutableId,
    changeKey: m.changeKey,
    lastModified: m.lastModifiedDateTime.getTime(),
  };
}

/** A round without a token: every message of the folder (changeType other than created: none). */
function firstRound(st: EmulatorState, user: UserRecord, folder: FolderRecord, options: DeltaOptions): RoundPosition {
  // Graph: "Applying $filter in a delta query returns only up to 5,000 messages."
  const all = inFolder(st, user, folder, options).slice(0, options.filter ? 5000 : undefined);
  const items = options.changeType && options.changeType !== "created" ? [] : all.map((m) => ({ key: m.key }));
  return { options, items, offset: 0, snapshot: new Map(all.map((m) => [m.key, synced(m)])) };
}

/** The next page of a round (`$skiptoken`), or a new round of what changed since a `$deltatoken`. */
function continueRound(
  st: EmulatorState,
  user: UserRecord,
  folder: FolderRecord,
  token: string,
  kind: "skip" | "delta",
): RoundPosition {
  const s = st.findSyncState(token);
  if (!s || s.userId !== user.id || s.folderId !== folder.id || s.kind !== kind) {
    const g = st.syncGenerationInfo(token, user.id, folder.id);
    throw new GraphFailure(
      410,
      "SyncStateNotFound",
      `The sync state generation is not found; generation=${g.generation};[highest=${g.highest}]${g.live
        .slice(0, 3)
        .map((n) => `[${n}]`)
        .join("")}.`,
    );
  }
  if (s.kind === "skip") return { options: s.options, items: s.items!, offset: s.offset!, snapshot: s.snapshot };
  const options = s.options;
  const now = inFolder(st, user, folder, options);
  const snapshot = new Map(now.map((m) => [m.key, synced(m)]));
  const removed: DeltaItem[] = [];
  for (const [key, had] of s.snapshot)
    if (!snapshot.has(key)) removed.push({ removed: { id: had.id, immutableId: had.immutableId } });
  // Created (new or moved in) and updated, newest first, after the removals.
  const changed: DeltaItem[] = [];
  for (const m of now) {
    const had = s.snapshot.get(m.key);
    const change = !had
      ? "created"
      : had.changeKey !== m.changeKey || m.lastModifiedDateTime.getTime() > had.lastModified
        ? "updated"
        : null;
    if (change && (!options.changeType || options.changeType === change)) changed.push({ key: m.key });
  }
  const items = [...(!options.changeType || options.changeType === "deleted" ? removed : []), ...changed];
  return { options, items, offset: 0, snapshot };
}

/** One page of entries from `pos.offset`, and the offset the next page starts at. */
function page(
  st: EmulatorState,
  folder: FolderRecord,
  pos: RoundPosition,
  prefer: Prefer,
): { value: Record<string, unknown>[]; next: number } {
  const pageSize = prefer.maxPageSize ?? pos.options.top ?? 10;
  const select = parseSelect(pos.options.select);
  const expand = expandedPropIds(pos.options.expand);
  const value: Record<string, unknown>[] = [];
  let i = pos.offset;
  for (; i < pos.items.length && value.length < pageSize; i++) {
    const it = pos.items[i];
    if ("removed" in it) {
      value.push({
        "@odata.type": "#microsoft.graph.message",
        id: prefer.immutable ? it.removed.immutableId : it.removed.id,
        "@removed": { reason: "deleted" },
      });
      continue;
    }
    const m = st.messages.get(it.key);
    // Gone or moved out since the round began: the next round reports it (it is in this round's snapshot).
    if (!m || m.folderId !== folder.id) continue;
    value.push({ "@odata.type": "#microsoft.graph.message", ...messageJson(st, m, { select, expand, prefer }) });
  }
  return { value, next: i };
}

/** The one `$filter` message delta accepts: `receivedDateTime ge|gt <date>`. */
function deltaFilter(text: string): { op: "ge" | "gt"; value: Date } {
  let f;
  try {
    f = parseFilter(text);
  } catch {
    throw new GraphFailure(400, "ErrorInvalidUrlQuery", UNSUPPORTED_DELTA_FILTER);
  }
  if (
    f.type !== "cmp" ||
    f.prop.toLowerCase() !== "receiveddatetime" ||
    (f.op !== "ge" && f.op !== "gt") ||
    !(f.value instanceof Date)
  ) {
    throw new GraphFailure(400, "ErrorInvalidUrlQuery", UNSUPPORTED_DELTA_FILTER);
  }
  return { op: f.op, value: f.value };
}

/** Query options of a round's first delta request, checked as Graph documents them for messages. */
function deltaOptions(q: URLSearchParams): DeltaOptions {
  const filter = q.get("$filter");
  if (filter) deltaFilter(filter);
  const orderby = q.get("$orderby");
  if (orderby && !/^\s*receivedDateTime\s+desc\s*$/i.test(orderby)) {
    throw new GraphFailure(
      400,
      "ErrorInvalidUrlQuery",
      "The '$orderby' parameter value is not supported for 'Messages' resource; only a value of 'receivedDateTime desc' is supported.",
    );
  }
  if (q.get("$search") !== null)
    throw new GraphFailure(
      400,
      "ErrorInvalidUrlQuery",
      "The '$search' parameter is not supported for 'Messages' delta.",
    );
  const select = q.get("$select");
  parseSelect(select);
  const expand = q.get("$expand");
  expandedPropIds(expand);
  const top = q.get("$top") === null ? null : parseTop(q.get("$top"), 10) || null;
  const ct = q.get("changeType");
  if (ct !== null && !["created", "updated", "deleted"].includes(ct.toLowerCase())) {
    throw new GraphFailure(
      400,
      "ErrorInvalidUrlQuery",
      `The value '${ct}' of the 'changeType' parameter is not supported; use created, updated or deleted.`,
    );
  }
  return { select, expand, filter, top, changeType: ct ? (ct.toLowerCase() as DeltaOptions["changeType"]) : null };
}
