/**
 * Message routes: list (with $filter, $orderby, paging), get, update, delete, create draft, send,
 * createReply/reply (and -All), move, and sendMail.
 */
import type { DatasetAddress } from "../dataset";
import { evaluate, filterProperties, isInefficient, type OrderBy, parseFilter, parseOrderBy, sortBy } from "../odata";
import type { AddMessageInput, EmulatorState, FolderRecord, MessageRecord, UserRecord } from "../state";
import { resolveFolder } from "./folders";
import {
  type Caller,
  GRAPH_CONTENT_TYPE,
  GraphFailure,
  type GraphRequest,
  type GraphResponse,
  MAIL_READ,
  MAIL_SEND,
  MAIL_WRITE,
  methodNotAllowed,
  ok,
  requireScope,
} from "./protocol";
import { expandedPropIds, nextLink, parsePrefer, parseSelect, parseSkip, parseTop, preferenceApplied } from "./query";
import { messageJson } from "./representations";
import { parseSearch } from "./search";

/** Graph returns at most this many results for a message `$search`. */
export const SEARCH_RESULT_CAP = 1000;

const NO_RECIPIENTS = "At least one recipient isn't valid., A message can't be sent because it contains no recipients.";

export function listMessages(
  st: EmulatorState,
  user: UserRecord,
  folder: FolderRecord | null,
  req: GraphRequest,
  context: string,
): GraphResponse {
  const q = req.query;
  if (q.has("$search")) return searchMessages(st, user, folder, req, context);
  const top = parseTop(q.get("$top"), 10);
  const skip = parseSkip(q.get("$skip"));
  const select = parseSelect(q.get("$select"));
  const expand = expandedPropIds(q.get("$expand"));
  const prefer = parsePrefer(req);
  const filterText = q.get("$filter");
  const filter = filterText ? parseFilter(filterText) : null;
  const orderText = q.get("$orderby");
  let orderBy: OrderBy[] = orderText ? parseOrderBy(orderText) : [];
  if (filter && orderBy.length && isInefficient(filterProperties(filter), orderBy)) {
    throw new GraphFailure(
      400,
      "InefficientFilter",
      "The restriction or sort order is too complex for this operation.",
    );
  }
  if (!orderBy.length) orderBy = [{ prop: "receivedDateTime", desc: true }];

  const hiddenFolders = new Set(
    st
      .foldersOf(user.id)
      .filter((f) => f.outsideTree)
      .map((f) => f.id),
  );
  const candidates = st
    .getMessages(user.id)
    .filter((m) => (folder ? m.folderId === folder.id : !hiddenFolders.has(m.folderId)));
  // Filter and sort on the full representation, then project.
  // The filter also sees the item's extended properties (singleValueExtendedProperties/any(…)).
  const full = candidates.map((m) => {
    const view: Record<string, unknown> = messageJson(st, m, {
      select: null,
      expand: null,
      prefer: { bodyType: null, immutable: prefer.immutable },
    });
    view.singleValueExtendedProperties = m.singleValueExtendedProperties;
    return { rec: m, view };
  });
  const matched = filter ? full.filter((x) => evaluate(filter, x.view)) : full;
  const order = new Map(matched.map((x) => [x.view, x.rec]));
  const sorted = sortBy(
    matched.map((x) => x.view),
    orderBy,
  ).map((v) => order.get(v)!);
  const page = sorted.slice(skip, skip + top);
  const body: Record<string, unknown> = {
    "@odata.context": `${st.url}/v1.0/$metadata#${context}${select ? `(${select.join(",")})` : ""}`,
  };
  if (skip + top < sorted.length) body["@odata.nextLink"] = nextLink(st.url, req, skip + top);
  body.value = page.map((m) => messageJson(st, m, { select, expand, prefer }));
  return ok(body, preferenceApplied(prefer.applied));
}

/**
 * `$search`: KQL over the mailbox's index (search.ts), newest sent first, at most 1,000 results, paged by
 * an opaque `$skiptoken`. Graph refuses `$filter` and `$orderby` beside it; `$skip` is refused too, so
 * clients follow nextLink. Messages that arrived within `searchIndexLagMs` are not indexed yet.
 */
function searchMessages(
  st: EmulatorState,
  user: UserRecord,
  folder: FolderRecord | null,
  req: GraphRequest,
  context: string,
): GraphResponse {
  const q = req.query;
  for (const [name, shown] of [
    ["$filter", "$filter"],
    ["$orderby", "$orderBy"],
    ["$skip", "$skip"],
  ]) {
    if (q.has(name))
      throw new GraphFailure(400, "BadRequest", `The query parameter '${shown}' is not supported with '$search'.`);
  }
  const top = parseTop(q.get("$top"), 10);
  const select = parseSelect(q.get("$select"));
  const expand = expandedPropIds(q.get("$expand"));
  const prefer = parsePrefer(req);
  const match = parseSearch(q.get("$search") ?? "");
  const token = q.get("$skiptoken");
  let offset = 0;
  if (token !== null) {
    const m = /^S(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
    if (!m) throw new GraphFailure(400, "BadRequest", "The skip token is invalid.");
    offset = Number(m[1]);
  }
  const indexedBefore = st.now().getTime() - st.searchIndexLagMs;
  const hiddenFolders = new Set(
    st
      .foldersOf(user.id)
      .filter((f) => f.outsideTree)
      .map((f) => f.id),
  );
  const hits = st
    .getMessages(user.id)
    .filter((m) => (folder ? m.folderId === folder.id : !hiddenFolders.has(m.folderId)))
    .filter((m) => m.createdDateTime.getTime() <= indexedBefore && match(m))
    .sort((a, b) => (b.sentDateTime?.getTime() ?? 0) - (a.sentDateTime?.getTime() ?? 0))
    .slice(0, SEARCH_RESULT_CAP);
  const page = hits.slice(offset, offset + top);
  const body: Record<string, unknown> = {
    "@odata.context": `${st.url}/v1.0/$metadata#${context}${select ? `(${select.join(",")})` : ""}`,
  };
  if (offset + top < hits.length) {
    const parts: string[] = [];
    for (const [k, v] of q) if (k !== "$skiptoken") parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    parts.push(`%24skiptoken=${Buffer.from(`S${offset + top}`).toString("base64url")}`);
    body["@odata.nextLink"] = `${st.url}/v1.0${req.path}?${parts.join("&")}`;
  }
  body.value = page.map((m) => messageJson(st, m, { select, expand, prefer }));
  return ok(body, preferenceApplied(prefer.applied));
}

/** `…/messages/{id}[/action]`, within `folder` when reached through one. */
export function messageItem(
  st: EmulatorState,
  caller: Caller,
  user: UserRecord,
  id: string,
  rest: string[],
  req: GraphRequest,
  contextRoot: string,
  folder: FolderRecord | null,
): GraphResponse {
  const msg = st.findMessage(user.id, id);
  if (!msg || (folder && msg.folderId !== folder.id))
    throw new GraphFailure(404, "ErrorItemNotFound", "The specified object was not found in the store.");
  if (rest.length) return messageAction(st, caller, user, msg, rest[0], req, contextRoot);
  if (req.method === "GET") {
    requireScope(caller, MAIL_READ);
    const prefer = parsePrefer(req);
    const select = parseSelect(req.query.get("$select"));
    const expand = expandedPropIds(req.query.get("$expand"));
    const body = messageJson(st, msg, { select, expand, prefer });
    return ok(
      {
        "@odata.context": `${st.url}/v1.0/$metadata#${contextRoot}/messages${select ? `(${select.join(",")})` : ""}/$entity`,
        ...body,
      },
      preferenceApplied(prefer.applied),
    );
  }
  if (req.method === "PATCH") {
    requireScope(caller, MAIL_WRITE);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b.isRead === "boolean") msg.isRead = b.isRead;
    if (Array.isArray(b.categories)) msg.categories = b.categories.map(String);
    if (typeof b.subject === "string" && msg.isDraft) msg.subject = b.subject;
    st.touch(msg);
    return ok(messageJson(st, msg, { select: null, expand: null, prefer: parsePrefer(req) }));
  }
  if (req.method === "DELETE") {
    requireScope(caller, MAIL_WRITE);
    st.moveMessage(user.id, msg.id, "recoverableitemsdeletions");
    return { status: 204, headers: {}, body: null };
  }
  throw methodNotAllowed();
}

function messageAction(
  st: EmulatorState,
  caller: Caller,
  user: UserRecord,
  msg: MessageRecord,
  segment: string,
  req: GraphRequest,
  contextRoot: string,
): GraphResponse {
  const action = segment.toLowerCase();
  if (action === "send" && req.method === "POST") {
    requireScope(caller, MAIL_SEND);
    if (!msg.isDraft) throw new GraphFailure(400, "ErrorInvalidOperation", "Only draft messages can be sent.");
    st.deliver(user.id, msg, true);
    return { status: 202, headers: {}, body: null };
  }
  if ((action === "createreply" || action === "createreplyall") && req.method === "POST") {
    requireScope(caller, MAIL_WRITE);
    return createReply(st, user, msg, req, action === "createreplyall");
  }
  if ((action === "reply" || action === "replyall") && req.method === "POST") {
    // Graph's permission for reply/replyAll is Mail.Send alone: nothing is left in Drafts.
    requireScope(caller, MAIL_SEND);
    return reply(st, user, msg, req, action === "replyall");
  }
  if (action === "move" && req.method === "POST") {
    requireScope(caller, MAIL_WRITE);
    const dest = String(((req.body ?? {}) as Record<string, unknown>).destinationId ?? "");
    const target = resolveFolder(st, user, dest);
    const moved = st.moveMessage(user.id, msg.id, target.id);
    const prefer = parsePrefer(req);
    return {
      status: 201,
      headers: { "Content-Type": GRAPH_CONTENT_TYPE },
      body: {
        "@odata.context": `${st.url}/v1.0/$metadata#${contextRoot}/messages/$entity`,
        ...messageJson(st, moved, { select: null, expand: null, prefer }),
      },
    };
  }
  throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${segment}'.`);
}

/** 201 with the new draft, as createDraft and createReply answer. */
function createdDraft(st: EmulatorState, user: UserRecord, rec: MessageRecord, req: GraphRequest): GraphResponse {
  const prefer = parsePrefer(req);
  return {
    status: 201,
    headers: { "Content-Type": GRAPH_CONTENT_TYPE, ...preferenceApplied(prefer.applied) },
    body: {
      "@odata.context": `${st.url}/v1.0/$metadata#users('${user.id}')/messages/$entity`,
      ...messageJson(st, rec, { select: null, expand: null, prefer }),
    },
  };
}

export function createDraft(st: EmulatorState, user: UserRecord, req: GraphRequest, folderRef: string): GraphResponse {
  const b = req.body;
  if (b === undefined || (b !== null && typeof b !== "object"))
    throw new GraphFailure(400, "RequestBodyRead", "Invalid JSON in request body.");
  const input = messageInput((b ?? {}) as Record<string, unknown>);
  const rec = st.addMessage(user.id, {
    ...input,
    folder: folderRef,
    isDraft: true,
    isRead: true,
    from: input.from ?? { name: user.displayName, address: user.mail },
    receivedDateTime: st.now().toISOString(),
    sentDateTime: undefined,
  });
  return createdDraft(st, user, rec, req);
}

/**
 * The reply to `original` as createReply/createReplyAll and reply/replyAll build it: in the original's
 * conversation, addressed to its sender (reply-all: and its other To/Cc recipients but the user),
 * subject "RE: …", In-Reply-To and References set to the original's internetMessageId. `message`
 * properties in the body override (toRecipients, ccRecipients, subject, body); `comment` becomes the
 * body when no body is given (both at once: 400, as Graph documents).
 * Fidelity gaps: the original is not quoted under the new text; extended properties given in
 * `message` are not kept (whether Exchange keeps them on a reply is not verified).
 */
function replyInput(user: UserRecord, original: MessageRecord, req: GraphRequest, all: boolean): AddMessageInput {
  const b = req.body;
  if (b === undefined || (b !== null && typeof b !== "object"))
    throw new GraphFailure(400, "RequestBodyRead", "Invalid JSON in request body.");
  const params = (b ?? {}) as { message?: Record<string, unknown>; comment?: unknown };
  const given = params.message && typeof params.message === "object" ? params.message : {};
  const input = messageInput(given);
  const self = new Set(
    [user.mail, user.userPrincipalName, ...user.proxyAddresses.map((p) => p.replace(/^smtp:/i, ""))].map((a) =>
      a.toLowerCase(),
    ),
  );
  const notSelf = (a: { emailAddress: { name?: string; address: string } }) =>
    !self.has(a.emailAddress.address.toLowerCase());
  const sender = original.replyTo.length ? original.replyTo : original.from ? [original.from] : [];
  const defaultTo = [...sender, ...(all ? original.toRecipients.filter(notSelf) : [])].map((r) => r.emailAddress);
  const defaultCc = all ? original.ccRecipients.filter(notSelf).map((r) => r.emailAddress) : [];
  const subject =
    typeof given.subject === "string"
      ? given.subject
      : /^re:/i.test(original.subject)
        ? original.subject
        : `RE: ${original.subject}`;
  const hasBody = given.body !== undefined;
  if (hasBody && typeof params.comment === "string" && params.comment !== "") {
    throw new GraphFailure(
      400,
      "ErrorInvalidRequest",
      "Specify either a comment or the body property of the message parameter, not both.",
    );
  }
  const comment = typeof params.comment === "string" ? params.comment : "";
  return {
    isRead: true,
    subject,
    body: hasBody ? input.body : comment,
    bodyContentType: hasBody ? input.bodyContentType : "html",
    to: Array.isArray(given.toRecipients) ? input.to : defaultTo,
    cc: Array.isArray(given.ccRecipients) ? input.cc : defaultCc,
    from: { name: user.displayName, address: user.mail },
    conversationId: original.conversationId,
    internetMessageHeaders: [
      { name: "In-Reply-To", value: original.internetMessageId },
      { name: "References", value: original.internetMessageId },
    ],
  };
}

/** createReply / createReplyAll: the reply as a draft in Drafts (Mail.ReadWrite). */
function createReply(
  st: EmulatorState,
  user: UserRecord,
  original: MessageRecord,
  req: GraphRequest,
  all: boolean,
): GraphResponse {
  const rec = st.addMessage(user.id, {
    ...replyInput(user, original, req, all),
    folder: "drafts",
    isDraft: true,
    receivedDateTime: st.now().toISOString(),
    sentDateTime: undefined,
  });
  return createdDraft(st, user, rec, req);
}

/** reply / replyAll: sent at once, the copy saved in Sent Items; 202 with no body (no id to know it by). */
function reply(
  st: EmulatorState,
  user: UserRecord,
  original: MessageRecord,
  req: GraphRequest,
  all: boolean,
): GraphResponse {
  const input = replyInput(user, original, req, all);
  if (!(input.to?.length || input.cc?.length)) throw new GraphFailure(400, "ErrorInvalidRecipients", NO_RECIPIENTS);
  st.deliver(user.id, input, true);
  return { status: 202, headers: {}, body: null };
}

export function sendMail(st: EmulatorState, user: UserRecord, req: GraphRequest): GraphResponse {
  const b = req.body as Record<string, unknown> | null | undefined;
  if (!b || typeof b !== "object" || !b.message || typeof b.message !== "object") {
    throw new GraphFailure(400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.");
  }
  const input = messageInput(b.message as Record<string, unknown>);
  if (!(input.to?.length || input.cc?.length || input.bcc?.length))
    throw new GraphFailure(400, "ErrorInvalidRecipients", NO_RECIPIENTS);
  st.deliver(user.id, input, b.saveToSentItems !== false && b.saveToSentItems !== "false");
  return { status: 202, headers: {}, body: null };
}

function addr(x: unknown): DatasetAddress | undefined {
  const e = (x as { emailAddress?: { name?: string; address?: string } } | undefined)?.emailAddress;
  return e?.address ? { name: e.name, address: e.address } : undefined;
}

/** Graph message JSON (from a client) → the state's input shape. */
function messageInput(m: Record<string, unknown>) {
  const list = (v: unknown) => (Array.isArray(v) ? v.map(addr).filter((a): a is DatasetAddress => !!a) : []);
  const body = m.body as { contentType?: string; content?: string } | undefined;
  return {
    subject: typeof m.subject === "string" ? m.subject : "",
    body: body?.content ?? "",
    bodyContentType: (body?.contentType ?? "html").toLowerCase() === "text" ? ("text" as const) : ("html" as const),
    to: list(m.toRecipients),
    cc: list(m.ccRecipients),
    bcc: list(m.bccRecipients),
    replyTo: list(m.replyTo),
    from: addr(m.from),
    importance: (["low", "normal", "high"].includes(String(m.importance)) ? m.importance : undefined) as
      "low" | "normal" | "high" | undefined,
    categories: Array.isArray(m.categories) ? m.categories.map(String) : undefined,
    internetMessageHeaders: Array.isArray(m.internetMessageHeaders)
      ? (m.internetMessageHeaders as { name: string; value: string }[])
      : undefined,
    singleValueExtendedProperties: extendedProperties(m.singleValueExtendedProperties),
  };
}

/** `singleValueExtendedProperties` of a message a client creates or sends: [{id, value}] strings. */
function extendedProperties(v: unknown): { id: string; value: string }[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((p) => typeof p?.id !== "string" || typeof p?.value !== "string" || !p.id.trim())) {
    throw new GraphFailure(
      400,
      "ErrorInvalidExtendedProperty",
      "The extended property attribute combination is invalid.",
    );
  }
  return (v as { id: string; value: string }[]).map((p) => ({ id: p.id.trim(), value: p.value }));
}
