/**
 * Microsoft Graph v1.0 mail, as Exchange Online serves it: /me, messages (list, get, per-folder delta with sync-state tokens, create draft,
 * send, reply, move), sendMail, mailFolders, $batch — with OData query options, Prefer headers, Outlook's
 * per app + mailbox throttling, injected faults, and error bodies in Graph's real shapes.
 *
 * One executor (`execute`) answers both top-level requests and $batch items, so a batch item
 * behaves exactly as the same request sent alone.
 */
import { type HttpContext, corsHeaders, header, send, sleep } from "./http";
import { verifyJwt } from "./jwt";
import { ODataError, type OrderBy, evaluate, filterProperties, isInefficient, parseFilter, parseOrderBy, sortBy } from "./odata";
import {
  type DeltaItem, type DeltaOptions, type EmulatorState, type FaultRule, type FolderRecord, type MessageRecord, type RequestKind,
  type SyncedMessage, type UserRecord, htmlToText, isGraphAudience,
} from "./state";
import { requestId as newRequestId } from "./ids";
import type { DatasetAddress } from "./dataset";
import type { AddMessageInput } from "./state";

export const GRAPH_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

interface Caller {
  clientId: string;
  /** Signed-in user (delegated) or null for app-only tokens. */
  userId: string | null;
  tenantId: string;
  scopes: Set<string>;
  roles: Set<string>;
}

interface GraphRequest {
  method: string;
  /** Path after /v1.0, e.g. "/me/messages". */
  path: string;
  query: URLSearchParams;
  header(name: string): string | undefined;
  body: unknown;
  clientRequestId: string;
  requestId: string;
}

const MESSAGE_PROPS = [
  "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "receivedDateTime", "sentDateTime", "hasAttachments",
  "internetMessageId", "subject", "bodyPreview", "importance", "parentFolderId", "conversationId", "conversationIndex",
  "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft", "webLink", "inferenceClassification", "body", "sender",
  "from", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "flag",
];
const SELECT_ONLY_PROPS = ["uniqueBody", "internetMessageHeaders"];
const EVENT_PROPS = ["meetingMessageType", "startDateTime", "endDateTime", "location", "type", "isOutOfDate", "isAllDay", "isDelegated"];
const FOLDER_PROPS = ["id", "displayName", "parentFolderId", "childFolderCount", "unreadItemCount", "totalItemCount", "sizeInBytes", "isHidden"];

const MAIL_READ = ["mail.read", "mail.readwrite", "mail.readbasic", "mail.read.shared", "mail.readwrite.shared"];
const MAIL_WRITE = ["mail.readwrite"];
const MAIL_SEND = ["mail.send"];
const USER_READ = ["user.read", "user.readwrite", "user.readbasic.all", "user.read.all", "user.readwrite.all", "directory.read.all"];

function iso(d: Date | null): string | null {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : null;
}

class GraphFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly extraHeaders: Record<string, string> = {}) {
    super(message);
  }
}

function errorBody(code: string, message: string, req: { requestId: string; clientRequestId: string }, now: Date): unknown {
  return { error: { code, message, innerError: { date: iso(now), "request-id": req.requestId, "client-request-id": req.clientRequestId } } };
}

/** Normalize an extended property id the way Exchange echoes it ("String 0x001A" → "String 0x1a"). */
function normalizePropId(id: string): string {
  const m = /^\s*(\w+)\s+0x([0-9a-f]+)\s*$/i.exec(id);
  return m ? `${m[1]} 0x${parseInt(m[2], 16).toString(16)}` : id.trim();
}

/** Ids asked for by `$expand=singleValueExtendedProperties($filter=id eq '…' or id eq '…')`, or null when not expanded. */
function expandedPropIds(expand: string | null): string[] | null {
  if (!expand) return null;
  const m = /^\s*singleValueExtendedProperties\s*\(\s*\$filter\s*=\s*(.+)\)\s*$/i.exec(expand);
  if (!m) throw new GraphFailure(400, "BadRequest", `Parsing OData Select and Expand failed: Could not find a property named '${expand.split("(")[0]}' on type 'microsoft.graph.message'.`);
  const ids: string[] = [];
  const re = /id\s+eq\s+'((?:[^']|'')*)'/gi;
  let x: RegExpExecArray | null;
  while ((x = re.exec(m[1]))) ids.push(x[1].replace(/''/g, "'"));
  if (!ids.length) throw new GraphFailure(400, "ErrorInvalidExtendedProperty", "The extended property attribute combination is invalid.");
  return ids;
}

/** `delta`, `delta()` or `microsoft.graph.delta` as the last path segment. */
function isDeltaSegment(seg: string | undefined): boolean {
  return seg !== undefined && /^(microsoft\.graph\.)?delta(\(\))?$/i.test(seg);
}

function parsePrefer(req: GraphRequest): { bodyType: "html" | "text" | null; immutable: boolean; maxPageSize: number | null; applied: string[] } {
  const raw = req.header("prefer") ?? "";
  let bodyType: "html" | "text" | null = null;
  let immutable = false;
  let maxPageSize: number | null = null;
  const applied: string[] = [];
  for (const part of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    // Only delta honours it (graph.ts adds it to Preference-Applied there); plain lists ignore it.
    const p = /^odata\.maxpagesize\s*=\s*"?(\d+)"?$/i.exec(part);
    if (p && Number(p[1]) > 0) maxPageSize = Math.min(Number(p[1]), 1000);
    const b = /^outlook\.body-content-type\s*=\s*"?(text|html)"?$/i.exec(part);
    if (b) {
      bodyType = b[1].toLowerCase() as "html" | "text";
      applied.push(`outlook.body-content-type="${bodyType}"`);
    }
    if (/^IdType\s*=\s*"?ImmutableId"?$/i.test(part)) {
      immutable = true;
      applied.push('IdType="ImmutableId"');
    }
  }
  return { bodyType, immutable, maxPageSize, applied };
}

export async function applyFault(ctx: HttpContext, fault: FaultRule, userId: string | null): Promise<"handled" | "continue"> {
  const kind = fault.kind ?? "status";
  if (kind === "drop") {
    ctx.req.socket.destroy();
    return "handled";
  }
  if (kind === "stall") {
    if (fault.stallUntil) await fault.stallUntil.catch(() => undefined);
    else await sleep(fault.stallMs ?? 30_000);
    if (fault.stallThenDrop || ctx.res.destroyed || ctx.req.socket.destroyed) {
      ctx.req.socket.destroy();
      return "handled";
    }
    return "continue";
  }
  const status = fault.status ?? 503;
  const r = faultResponse(fault, { requestId: newRequestId(), clientRequestId: header(ctx.req, "client-request-id") ?? "" }, new Date());
  void userId;
  send(ctx.res, status, JSON.stringify(r.body), { ...r.headers, ...corsHeaders(ctx.req) });
  return "handled";
}

function faultResponse(fault: FaultRule, ids: { requestId: string; clientRequestId: string }, now: Date): GraphResponse {
  const status = fault.status ?? 503;
  const headers: Record<string, string> = { "Content-Type": GRAPH_CONTENT_TYPE, "request-id": ids.requestId, "client-request-id": ids.clientRequestId || ids.requestId };
  const retryAfter = fault.retryAfterSeconds === undefined ? (status === 429 || status === 503 ? 1 : null) : fault.retryAfterSeconds;
  if (retryAfter !== null) headers["Retry-After"] = String(retryAfter);
  const body =
    status === 429
      ? { error: { code: "TooManyRequests", message: "Please retry again later.", innerError: { code: "429", date: iso(now), message: "Please retry after", "request-id": ids.requestId, status: "429" } } }
      : status === 503
        ? errorBody("serviceNotAvailable", "The service is temporarily unavailable. Please retry later.", ids, now)
        : status === 504
          ? errorBody("UnknownError", "", ids, now)
          : errorBody("UnknownError", `Injected fault ${status}`, ids, now);
  return { status, headers, body };
}

export class GraphEndpoints {
  closing = false;

  constructor(private readonly state: EmulatorState) {}

  async handle(ctx: HttpContext): Promise<void> {
    const st = this.state;
    const requestId = newRequestId();
    const clientRequestId = header(ctx.req, "client-request-id") ?? requestId;
    const path = ctx.url.pathname.slice("/v1.0".length) || "/";
    let parsedBody: unknown = null;
    if (ctx.body.length) {
      try {
        parsedBody = JSON.parse(ctx.body.toString("utf8"));
      } catch {
        parsedBody = undefined;
      }
    }
    const req: GraphRequest = {
      method: ctx.method, path, query: ctx.url.searchParams, header: (n) => header(ctx.req, n), body: parsedBody, clientRequestId, requestId,
    };
    const write = (r: GraphResponse, userId: string | null) => {
      const bytes = send(ctx.res, r.status, r.body === null || r.body === undefined ? null : JSON.stringify(r.body), {
        ...r.headers,
        "request-id": requestId,
        "client-request-id": clientRequestId,
        "x-ms-ags-diagnostic": JSON.stringify({ ServerInfo: { DataCenter: "Emulator", Slice: "E", Ring: "5", ScaleUnit: "000", RoleInstance: "EMU" } }),
        "Strict-Transport-Security": "max-age=31536000",
        ...corsHeaders(ctx.req),
      });
      st.addResponseBytes(userId, bytes);
    };

    const auth = this.authenticate(req);
    if ("error" in auth) return write(auth.error, null);
    const caller = auth.caller;
    const kind = classify(req.method, path);
    const mailboxUser = this.targetUserId(caller, path);
    st.count(mailboxUser, kind);

    const fault = st.takeFault({ area: "graph", path, method: req.method, userId: mailboxUser });
    if (fault) {
      if ((fault.kind ?? "status") === "status") return write(faultResponse(fault, req, st.now()), mailboxUser);
      if ((await applyFault(ctx, fault, mailboxUser)) === "handled") return;
    }

    if (path === "/$batch") {
      if (st.latencyMs) await sleep(st.latencyMs);
      return write(await this.batch(caller, req), mailboxUser);
    }
    let admitted = false;
    if (mailboxUser) {
      const t = st.admit(caller.clientId, mailboxUser);
      if (t) return write(throttled(t, req, st.now()), mailboxUser);
      admitted = true;
    }
    try {
      if (st.latencyMs) await sleep(st.latencyMs);
      write(this.execute(caller, req), mailboxUser);
    } finally {
      if (admitted && mailboxUser) st.release(caller.clientId, mailboxUser);
    }
  }

  private authenticate(req: GraphRequest): { caller: Caller } | { error: GraphResponse } {
    const st = this.state;
    const fail = (message: string): { error: GraphResponse } => ({
      error: {
        status: 401,
        headers: {
          "Content-Type": GRAPH_CONTENT_TYPE,
          "WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
        },
        body: errorBody("InvalidAuthenticationToken", message, req, st.now()),
      },
    });
    const h = req.header("authorization");
    if (!h || !/^Bearer\s+\S/i.test(h)) return fail("Access token is empty.");
    const token = h.replace(/^Bearer\s+/i, "").trim();
    if (token.split(".").length !== 3) return fail("IDX14100: JWT is not well formed, there are no dots (.).");
    const claims = verifyJwt(st.signingKey, token);
    if (!claims) return fail("Access token validation failure. Invalid audience.");
    const nowS = Math.floor(st.now().getTime() / 1000);
    if (typeof claims.exp !== "number" || claims.exp <= nowS || (typeof claims.nbf === "number" && claims.nbf > nowS + 300)) {
      return fail("Lifetime validation failed, the token is expired.");
    }
    if (typeof claims.aud !== "string" || !isGraphAudience(claims.aud)) return fail("Access token validation failure. Invalid audience.");
    const scopes = new Set(String(claims.scp ?? "").split(" ").filter(Boolean).map((s) => s.toLowerCase()));
    const roles = new Set((Array.isArray(claims.roles) ? claims.roles : []).map((r) => String(r).toLowerCase()));
    const delegated = claims.idtyp !== "app";
    const userId = delegated ? String(claims.oid ?? "") : null;
    if (delegated && !st.getUser(userId!)) return fail("Access token validation failure. User not found.");
    return { caller: { clientId: String(claims.appid ?? claims.azp ?? ""), userId, tenantId: String(claims.tid ?? ""), scopes, roles } };
  }

  /** The mailbox a request addresses (for counting and throttling), if any. */
  private targetUserId(caller: Caller, path: string): string | null {
    const m = /^\/(me|users\/([^/]+))(\/|$)/i.exec(path);
    if (!m) return caller.userId;
    if (m[1].toLowerCase() === "me") return caller.userId;
    const ref = decodeURIComponent(m[2]).replace(/^\('|'\)$/g, "");
    return this.state.getUser(ref)?.id ?? this.state.findUserByLogin(ref)?.id ?? null;
  }

  // -------------------------------------------------------------------- routing

  execute(caller: Caller, req: GraphRequest): GraphResponse {
    const st = this.state;
    try {
      // OData key syntax mailFolders('inbox') → mailFolders/inbox.
      const path = req.path.replace(/\(\s*'([^']*)'\s*\)/g, "/$1").replace(/\/+$/, "");
      const segs = path.split("/").filter(Boolean).map((s) => decodeURIComponent(s));
      if (!segs.length) throw new GraphFailure(400, "BadRequest", "Invalid request.");
      let user: UserRecord;
      let rest: string[];
      if (segs[0].toLowerCase() === "me") {
        if (!caller.userId) throw new GraphFailure(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
        user = st.getUser(caller.userId)!;
        rest = segs.slice(1);
      } else if (segs[0].toLowerCase() === "users" && segs[1]) {
        const target = st.getUser(segs[1]) ?? st.findUserByLogin(segs[1]);
        if (!target || (caller.userId === null && target.tenantId !== caller.tenantId)) {
          throw new GraphFailure(404, "Request_ResourceNotFound", `Resource '${segs[1]}' does not exist or one of its queried reference-property objects are not present.`);
        }
        if (caller.userId !== null && target.id !== caller.userId) {
          throw new GraphFailure(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
        }
        user = target;
        rest = segs.slice(2);
      } else {
        throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${segs[0]}'.`);
      }
      const contextRoot = `users('${user.id}')`;
      const m = req.method;
      if (!rest.length) {
        if (m !== "GET") throw methodNotAllowed();
        this.requireScope(caller, USER_READ, true);
        return ok(this.userJson(user, req));
      }
      // Everything else is the mailbox.
      if (!user.mailboxEnabled) {
        throw new GraphFailure(404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.");
      }
      const head = rest[0].toLowerCase();
      if (head === "sendmail" && rest.length === 1) {
        if (m !== "POST") throw methodNotAllowed();
        this.requireScope(caller, MAIL_SEND);
        return this.sendMail(user, req);
      }
      if (head === "messages") {
        if (rest.length === 1) {
          if (m === "GET") {
            this.requireScope(caller, MAIL_READ);
            return this.listMessages(user, null, req, `${contextRoot}/messages`);
          }
          if (m === "POST") {
            this.requireScope(caller, MAIL_WRITE);
            return this.createDraft(user, req, "drafts");
          }
          throw methodNotAllowed();
        }
        if (rest.length === 2 && isDeltaSegment(rest[1])) {
          // Real Graph: delta on messages exists per folder only.
          throw new GraphFailure(400, "BadRequest", "Unsupported request: Change tracking is not supported against 'microsoft.graph.message'.");
        }
        return this.messageItem(caller, user, rest[1], rest.slice(2), req, contextRoot, null);
      }
      if (head === "mailfolders") {
        this.requireScope(caller, MAIL_READ);
        if (rest.length === 1) {
          if (m !== "GET") throw methodNotAllowed();
          const root = st.findFolder(user.id, "msgfolderroot")!;
          return this.listFolders(user, root, req, `${contextRoot}/mailFolders`);
        }
        const folder = this.resolveFolder(user, rest[1]);
        if (rest.length === 2) {
          if (m !== "GET") throw methodNotAllowed();
          return ok({ "@odata.context": `${st.url}/v1.0/$metadata#${contextRoot}/mailFolders/$entity`, ...this.folderJson(folder, req) });
        }
        const sub = rest[2].toLowerCase();
        if (sub === "childfolders" && rest.length === 3) {
          if (m !== "GET") throw methodNotAllowed();
          return this.listFolders(user, folder, req, `${contextRoot}/mailFolders('${folder.id}')/childFolders`);
        }
        if (sub === "messages") {
          if (rest.length === 3) {
            if (m === "GET") return this.listMessages(user, folder, req, `${contextRoot}/mailFolders('${rest[1]}')/messages`);
            if (m === "POST") {
              this.requireScope(caller, MAIL_WRITE);
              return this.createDraft(user, req, folder.id);
            }
            throw methodNotAllowed();
          }
          if (rest.length === 4 && isDeltaSegment(rest[3])) {
            if (m !== "GET") throw methodNotAllowed();
            const owner = segs[0].toLowerCase() === "me" ? "me" : `users/${encodeURIComponent(segs[1])}`;
            return this.delta(user, folder, req, `${st.url}/v1.0/${owner}/mailFolders('${folder.id}')/messages/delta`);
          }
          return this.messageItem(caller, user, rest[3], rest.slice(4), req, contextRoot, folder);
        }
      }
      throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${rest[0]}'.`);
    } catch (e) {
      if (e instanceof GraphFailure) {
        return { status: e.status, headers: { "Content-Type": GRAPH_CONTENT_TYPE, ...e.extraHeaders }, body: errorBody(e.code, e.message, req, st.now()) };
      }
      if (e instanceof ODataError) {
        return { status: 400, headers: { "Content-Type": GRAPH_CONTENT_TYPE }, body: errorBody("BadRequest", e.message, req, st.now()) };
      }
      throw e;
    }
  }

  private requireScope(caller: Caller, anyOf: string[], directory = false): void {
    const ok = anyOf.some((s) => caller.scopes.has(s) || caller.roles.has(s.replace(/^user\.read$/, "user.read.all")));
    if (ok) return;
    if (directory) throw new GraphFailure(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    throw new GraphFailure(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
  }

  private resolveFolder(user: UserRecord, ref: string): FolderRecord {
    const st = this.state;
    const direct = st.folders.get(ref);
    if (direct && direct.userId === user.id) return direct;
    const wk = ref.toLowerCase();
    for (const f of st.foldersOf(user.id)) if (f.wellKnownName === wk) return f;
    if (/^[A-Za-z]+$/.test(ref)) throw new GraphFailure(400, "ErrorInvalidIdMalformed", "Id is malformed.");
    throw new GraphFailure(404, "ErrorItemNotFound", "The specified object was not found in the store.");
  }

  private messageItem(caller: Caller, user: UserRecord, id: string, rest: string[], req: GraphRequest, contextRoot: string, folder: FolderRecord | null): GraphResponse {
    const st = this.state;
    const msg = st.findMessage(user.id, id);
    if (!msg || (folder && msg.folderId !== folder.id)) throw new GraphFailure(404, "ErrorItemNotFound", "The specified object was not found in the store.");
    if (!rest.length) {
      if (req.method === "GET") {
        this.requireScope(caller, MAIL_READ);
        const prefer = parsePrefer(req);
        const select = parseSelect(req.query.get("$select"));
        const expand = expandedPropIds(req.query.get("$expand"));
        const body = this.messageJson(msg, { select, expand, prefer });
        return ok(
          { "@odata.context": `${st.url}/v1.0/$metadata#${contextRoot}/messages${select ? `(${select.join(",")})` : ""}/$entity`, ...body },
          prefer.applied.length ? { "Preference-Applied": prefer.applied.join(",") } : {},
        );
      }
      if (req.method === "PATCH") {
        this.requireScope(caller, MAIL_WRITE);
        const b = (req.body ?? {}) as Record<string, unknown>;
        if (typeof b.isRead === "boolean") msg.isRead = b.isRead;
        if (Array.isArray(b.categories)) msg.categories = b.categories.map(String);
        if (typeof b.subject === "string" && msg.isDraft) msg.subject = b.subject;
        st.touch(msg);
        return ok(this.messageJson(msg, { select: null, expand: null, prefer: parsePrefer(req) }));
      }
      if (req.method === "DELETE") {
        this.requireScope(caller, MAIL_WRITE);
        st.moveMessage(user.id, msg.id, "recoverableitemsdeletions");
        return { status: 204, headers: {}, body: null };
      }
      throw methodNotAllowed();
    }
    const action = rest[0].toLowerCase();
    if (action === "send" && req.method === "POST") {
      this.requireScope(caller, MAIL_SEND);
      if (!msg.isDraft) throw new GraphFailure(400, "ErrorInvalidOperation", "Only draft messages can be sent.");
      st.deliver(user.id, msg, true);
      return { status: 202, headers: {}, body: null };
    }
    if ((action === "createreply" || action === "createreplyall") && req.method === "POST") {
      this.requireScope(caller, MAIL_WRITE);
      return this.createReply(user, msg, req, action === "createreplyall");
    }
    if ((action === "reply" || action === "replyall") && req.method === "POST") {
      // Graph's permission for reply/replyAll is Mail.Send alone: nothing is left in Drafts.
      this.requireScope(caller, MAIL_SEND);
      return this.reply(user, msg, req, action === "replyall");
    }
    if (action === "move" && req.method === "POST") {
      this.requireScope(caller, MAIL_WRITE);
      const dest = String(((req.body ?? {}) as Record<string, unknown>).destinationId ?? "");
      const target = this.resolveFolder(user, dest);
      const moved = st.moveMessage(user.id, msg.id, target.id);
      const prefer = parsePrefer(req);
      return { status: 201, headers: { "Content-Type": GRAPH_CONTENT_TYPE }, body: { "@odata.context": `${st.url}/v1.0/$metadata#${contextRoot}/messages/$entity`, ...this.messageJson(moved, { select: null, expand: null, prefer }) } };
    }
    throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${rest[0]}'.`);
  }

  // -------------------------------------------------------------------- messages

  private listMessages(user: UserRecord, folder: FolderRecord | null, req: GraphRequest, context: string): GraphResponse {
    const st = this.state;
    const q = req.query;
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
      throw new GraphFailure(400, "InefficientFilter", "The restriction or sort order is too complex for this operation.");
    }
    if (!orderBy.length) orderBy = [{ prop: "receivedDateTime", desc: true }];

    const hiddenFolders = new Set(st.foldersOf(user.id).filter((f) => f.outsideTree).map((f) => f.id));
    const candidates = st.getMessages(user.id).filter((m) => (folder ? m.folderId === folder.id : !hiddenFolders.has(m.folderId)));
    // Filter and sort on the full representation, then project.
    // The filter also sees the item's extended properties (singleValueExtendedProperties/any(…)).
    const full = candidates.map((m) => {
      const view: Record<string, unknown> = this.messageJson(m, { select: null, expand: null, prefer: { bodyType: null, immutable: prefer.immutable } });
      view.singleValueExtendedProperties = m.singleValueExtendedProperties;
      return { rec: m, view };
    });
    const matched = filter ? full.filter((x) => evaluate(filter, x.view)) : full;
    const order = new Map(matched.map((x) => [x.view, x.rec]));
    const sorted = sortBy(matched.map((x) => x.view), orderBy).map((v) => order.get(v)!);
    const page = sorted.slice(skip, skip + top);
    const body: Record<string, unknown> = {
      "@odata.context": `${st.url}/v1.0/$metadata#${context}${select ? `(${select.join(",")})` : ""}`,
    };
    if (skip + top < sorted.length) body["@odata.nextLink"] = nextLink(st.url, req, skip + top);
    body.value = page.map((m) => this.messageJson(m, { select, expand, prefer }));
    return ok(body, prefer.applied.length ? { "Preference-Applied": prefer.applied.join(",") } : {});
  }

  /**
   * `GET …/mailFolders/{id}/messages/delta`: a round of pages linked by `$skiptoken` nextLinks, ending
   * with a `$deltatoken` deltaLink; following that deltaLink starts a round with only what changed in
   * the folder since (created, updated, moved in; `@removed` for deleted or moved out). Query options
   * are taken from the round's first request and kept in the tokens. Tokens unknown, malformed,
   * invalidated (`state.invalidateSyncStates`) or older than `state.syncStateLifetimeMs` → 410 SyncStateNotFound.
   */
  private delta(user: UserRecord, folder: FolderRecord, req: GraphRequest, link: string): GraphResponse {
    const st = this.state;
    const q = req.query;
    const prefer = parsePrefer(req);
    const skipToken = q.get("$skiptoken");
    const deltaToken = q.get("$deltatoken");
    const inFolder = (f: DeltaOptions): MessageRecord[] => {
      const since = f.filter ? deltaFilter(f.filter) : null;
      return st
        .getMessages(user.id)
        .filter((m) => m.folderId === folder.id && (!since || (since.op === "ge" ? m.receivedDateTime >= since.value : m.receivedDateTime > since.value)))
        .sort((a, b) => b.receivedDateTime.getTime() - a.receivedDateTime.getTime());
    };
    const synced = (m: MessageRecord): SyncedMessage => ({ id: m.id, immutableId: m.immutableId, changeKey: m.changeKey, lastModified: m.lastModifiedDateTime.getTime() });
    let options: DeltaOptions;
    let items: DeltaItem[];
    let offset = 0;
    let snapshot: Map<string, SyncedMessage>;
    if (skipToken !== null || deltaToken !== null) {
      const token = (skipToken ?? deltaToken)!;
      const s = st.findSyncState(token);
      if (!s || s.userId !== user.id || s.folderId !== folder.id || s.kind !== (skipToken !== null ? "skip" : "delta")) {
        const g = st.syncGenerationInfo(token, user.id, folder.id);
        throw new GraphFailure(410, "SyncStateNotFound", `The sync state generation is not found; generation=${g.generation};[highest=${g.highest}]${g.live.slice(0, 3).map((n) => `[${n}]`).join("")}.`);
      }
      options = s.options;
      if (s.kind === "skip") {
        items = s.items!;
        offset = s.offset!;
        snapshot = s.snapshot;
      } else {
        // A new round: what changed since the client's copy.
        const now = inFolder(options);
        snapshot = new Map(now.map((m) => [m.key, synced(m)]));
        const removed: DeltaItem[] = [];
        for (const [key, had] of s.snapshot) if (!snapshot.has(key)) removed.push({ removed: { id: had.id, immutableId: had.immutableId } });
        // Created (new or moved in) and updated, newest first, after the removals.
        const changed: DeltaItem[] = [];
        for (const m of now) {
          const had = s.snapshot.get(m.key);
          const change = !had ? "created" : had.changeKey !== m.changeKey || m.lastModifiedDateTime.getTime() > had.lastModified ? "updated" : null;
          if (change && (!options.changeType || options.changeType === change)) changed.push({ key: m.key });
        }
        items = [...(!options.changeType || options.changeType === "deleted" ? removed : []), ...changed];
      }
    } else {
      options = deltaOptions(q);
      // Graph: "Applying $filter in a delta query returns only up to 5,000 messages."
      const all = inFolder(options).slice(0, options.filter ? 5000 : undefined);
      items = options.changeType && options.changeType !== "created" ? [] : all.map((m) => ({ key: m.key }));
      snapshot = new Map(all.map((m) => [m.key, synced(m)]));
    }
    const pageSize = prefer.maxPageSize ?? options.top ?? 10;
    const select = parseSelect(options.select);
    const expand = expandedPropIds(options.expand);
    const value: Record<string, unknown>[] = [];
    let i = offset;
    for (; i < items.length && value.length < pageSize; i++) {
      const it = items[i];
      if ("removed" in it) {
        value.push({ "@odata.type": "#microsoft.graph.message", id: prefer.immutable ? it.removed.immutableId : it.removed.id, "@removed": { reason: "deleted" } });
        continue;
      }
      const m = st.messages.get(it.key);
      // Gone or moved out since the round began: the next round reports it (it is in this round's snapshot).
      if (!m || m.folderId !== folder.id) continue;
      value.push({ "@odata.type": "#microsoft.graph.message", ...this.messageJson(m, { select, expand, prefer }) });
    }
    const body: Record<string, unknown> = { "@odata.context": `${st.url}/v1.0/$metadata#Collection(message)` };
    if (i < items.length) {
      const next = st.issueSyncState({ kind: "skip", userId: user.id, folderId: folder.id, options, snapshot, items, offset: i });
      body["@odata.nextLink"] = `${link}?$skiptoken=${next.token}`;
    } else {
      const done = st.issueSyncState({ kind: "delta", userId: user.id, folderId: folder.id, options, snapshot });
      body["@odata.deltaLink"] = `${link}?$deltatoken=${done.token}`;
    }
    body.value = value;
    const applied = [...prefer.applied];
    if (prefer.maxPageSize !== null) applied.push(`odata.maxpagesize=${prefer.maxPageSize}`);
    return ok(body, applied.length ? { "Preference-Applied": applied.join(",") } : {});
  }

  messageJson(m: MessageRecord, o: { select: string[] | null; expand: string[] | null; prefer: { bodyType: "html" | "text" | null; immutable: boolean } }): Record<string, unknown> {
    const st = this.state;
    const id = o.prefer.immutable ? m.immutableId : m.id;
    const text = m.body.contentType === "html" ? htmlToText(m.body.content) : m.body.content;
    const body =
      o.prefer.bodyType === "text" && m.body.contentType === "html"
        ? { contentType: "text", content: text }
        : { contentType: m.body.contentType, content: m.body.content };
    const all: Record<string, unknown> = {
      id,
      createdDateTime: iso(m.createdDateTime),
      lastModifiedDateTime: iso(m.lastModifiedDateTime),
      changeKey: m.changeKey,
      categories: m.categories,
      receivedDateTime: iso(m.receivedDateTime),
      sentDateTime: iso(m.sentDateTime),
      hasAttachments: m.hasAttachments,
      internetMessageId: m.internetMessageId,
      subject: m.subject,
      bodyPreview: text.replace(/\s+/g, " ").trim().slice(0, 255),
      importance: m.importance,
      parentFolderId: m.folderId,
      conversationId: m.conversationId,
      conversationIndex: Buffer.from(m.conversationId.slice(0, 22)).toString("base64"),
      isDeliveryReceiptRequested: false,
      isReadReceiptRequested: false,
      isRead: m.isRead,
      isDraft: m.isDraft,
      webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(id)}&exvsurl=1&viewmodel=ReadMessageItem`,
      inferenceClassification: m.inferenceClassification,
      body,
      sender: m.sender,
      from: m.from,
      toRecipients: m.toRecipients,
      ccRecipients: m.ccRecipients,
      bccRecipients: m.bccRecipients,
      replyTo: m.replyTo,
      flag: { flagStatus: "notFlagged" },
    };
    const isEvent = m.meetingMessageType !== null;
    const extra: Record<string, unknown> = isEvent
      ? {
          meetingMessageType: m.meetingMessageType,
          type: "singleInstance",
          isOutOfDate: false,
          isAllDay: false,
          isDelegated: false,
          startDateTime: { dateTime: iso(new Date(m.receivedDateTime.getTime() + 86_400_000))!.replace("Z", ".0000000"), timeZone: "UTC" },
          endDateTime: { dateTime: iso(new Date(m.receivedDateTime.getTime() + 86_400_000 + 1_800_000))!.replace("Z", ".0000000"), timeZone: "UTC" },
          location: { displayName: "", locationType: "default", uniqueIdType: "unknown" },
        }
      : {};
    const selectOnly: Record<string, unknown> = {
      uniqueBody: body,
      internetMessageHeaders: m.internetMessageHeaders,
    };
    const out: Record<string, unknown> = {};
    if (isEvent) out["@odata.type"] = "#microsoft.graph.eventMessage";
    out["@odata.etag"] = `W/"${m.changeKey}"`;
    if (o.select) {
      out.id = id;
      for (const p of o.select) {
        const key = Object.keys({ ...all, ...selectOnly, ...extra }).find((k) => k.toLowerCase() === p.toLowerCase());
        if (key && key !== "id") out[key] = all[key] ?? selectOnly[key] ?? extra[key];
      }
    } else {
      Object.assign(out, all, extra);
    }
    if (o.expand) {
      const props: { id: string; value: string }[] = [];
      for (const wanted of o.expand) {
        const n = normalizePropId(wanted);
        if (n.toLowerCase() === "string 0x1a") props.push({ id: n, value: m.messageClass });
        const own = m.singleValueExtendedProperties.find((p) => samePropId(p.id, wanted));
        if (own) props.push({ id: own.id, value: own.value });
      }
      out["singleValueExtendedProperties@odata.context"] = `${st.url}/v1.0/$metadata#users('${m.userId}')/messages('${id}')/singleValueExtendedProperties`;
      out.singleValueExtendedProperties = props;
    }
    return out;
  }

  private createDraft(user: UserRecord, req: GraphRequest, folderRef: string): GraphResponse {
    const st = this.state;
    const b = req.body;
    if (b === undefined || (b !== null && typeof b !== "object")) throw new GraphFailure(400, "RequestBodyRead", "Invalid JSON in request body.");
    const input = messageInput((b ?? {}) as Record<string, unknown>);
    const rec = st.addMessage(user.id, { ...input, folder: folderRef, isDraft: true, isRead: true, from: input.from ?? { name: user.displayName, address: user.mail }, receivedDateTime: st.now().toISOString(), sentDateTime: undefined });
    const prefer = parsePrefer(req);
    return {
      status: 201,
      headers: { "Content-Type": GRAPH_CONTENT_TYPE, ...(prefer.applied.length ? { "Preference-Applied": prefer.applied.join(",") } : {}) },
      body: { "@odata.context": `${st.url}/v1.0/$metadata#users('${user.id}')/messages/$entity`, ...this.messageJson(rec, { select: null, expand: null, prefer }) },
    };
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
  private replyInput(user: UserRecord, original: MessageRecord, req: GraphRequest, all: boolean): AddMessageInput {
    const b = req.body;
    if (b === undefined || (b !== null && typeof b !== "object")) throw new GraphFailure(400, "RequestBodyRead", "Invalid JSON in request body.");
    const params = (b ?? {}) as { message?: Record<string, unknown>; comment?: unknown };
    const given = params.message && typeof params.message === "object" ? params.message : {};
    const input = messageInput(given);
    const self = new Set([user.mail, user.userPrincipalName, ...user.proxyAddresses.map((p) => p.replace(/^smtp:/i, ""))].map((a) => a.toLowerCase()));
    const notSelf = (a: { emailAddress: { name?: string; address: string } }) => !self.has(a.emailAddress.address.toLowerCase());
    const sender = original.replyTo.length ? original.replyTo : original.from ? [original.from] : [];
    const defaultTo = [...sender, ...(all ? original.toRecipients.filter(notSelf) : [])].map((r) => r.emailAddress);
    const defaultCc = all ? original.ccRecipients.filter(notSelf).map((r) => r.emailAddress) : [];
    const subject = typeof given.subject === "string" ? given.subject : /^re:/i.test(original.subject) ? original.subject : `RE: ${original.subject}`;
    const hasBody = given.body !== undefined;
    if (hasBody && typeof params.comment === "string" && params.comment !== "") {
      throw new GraphFailure(400, "ErrorInvalidRequest", "Specify either a comment or the body property of the message parameter, not both.");
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
  private createReply(user: UserRecord, original: MessageRecord, req: GraphRequest, all: boolean): GraphResponse {
    const st = this.state;
    const rec = st.addMessage(user.id, { ...this.replyInput(user, original, req, all), folder: "drafts", isDraft: true, receivedDateTime: st.now().toISOString(), sentDateTime: undefined });
    const prefer = parsePrefer(req);
    return {
      status: 201,
      headers: { "Content-Type": GRAPH_CONTENT_TYPE, ...(prefer.applied.length ? { "Preference-Applied": prefer.applied.join(",") } : {}) },
      body: { "@odata.context": `${st.url}/v1.0/$metadata#users('${user.id}')/messages/$entity`, ...this.messageJson(rec, { select: null, expand: null, prefer }) },
    };
  }

  /** reply / replyAll: sent at once, the copy saved in Sent Items; 202 with no body (no id to know it by). */
  private reply(user: UserRecord, original: MessageRecord, req: GraphRequest, all: boolean): GraphResponse {
    const input = this.replyInput(user, original, req, all);
    if (!(input.to?.length || input.cc?.length)) {
      throw new GraphFailure(400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.");
    }
    this.state.deliver(user.id, input, true);
    return { status: 202, headers: {}, body: null };
  }

  private sendMail(user: UserRecord, req: GraphRequest): GraphResponse {
    const b = req.body as Record<string, unknown> | null | undefined;
    if (!b || typeof b !== "object" || !b.message || typeof b.message !== "object") {
      throw new GraphFailure(400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.");
    }
    const input = messageInput(b.message as Record<string, unknown>);
    if (!(input.to?.length || input.cc?.length || input.bcc?.length)) {
      throw new GraphFailure(400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.");
    }
    this.state.deliver(user.id, input, b.saveToSentItems !== false && b.saveToSentItems !== "false");
    return { status: 202, headers: {}, body: null };
  }

  // -------------------------------------------------------------------- folders

  private listFolders(user: UserRecord, parent: FolderRecord, req: GraphRequest, context: string): GraphResponse {
    const st = this.state;
    const q = req.query;
    const includeHidden = (q.get("includeHiddenFolders") ?? "").toLowerCase() === "true";
    const top = parseTop(q.get("$top"), 10);
    const skip = parseSkip(q.get("$skip"));
    const all = st.foldersOf(user.id)
      .filter((f) => f.parentFolderId === parent.id && !f.outsideTree && (includeHidden || !f.isHidden))
      .sort((a, b) => a.displayName.localeCompare(b.displayName));
    const page = all.slice(skip, skip + top);
    const body: Record<string, unknown> = { "@odata.context": `${st.url}/v1.0/$metadata#${context}` };
    if (skip + top < all.length) body["@odata.nextLink"] = nextLink(st.url, req, skip + top);
    body.value = page.map((f) => this.folderJson(f, req));
    return ok(body);
  }

  private folderJson(f: FolderRecord, req: GraphRequest): Record<string, unknown> {
    const st = this.state;
    const msgs = st.getMessages(f.userId).filter((m) => m.folderId === f.id);
    const children = st.foldersOf(f.userId).filter((c) => c.parentFolderId === f.id);
    const all: Record<string, unknown> = {
      id: f.id,
      displayName: f.displayName,
      parentFolderId: f.parentFolderId ?? f.id,
      childFolderCount: children.length,
      unreadItemCount: msgs.filter((m) => !m.isRead).length,
      totalItemCount: msgs.length,
      sizeInBytes: msgs.reduce((n, m) => n + m.body.content.length + 512, 0),
      isHidden: f.isHidden,
    };
    const select = parseSelect(req.query.get("$select"), FOLDER_PROPS, "mailFolder");
    const out: Record<string, unknown> = {};
    if (select) {
      out.id = f.id;
      for (const p of select) {
        const key = FOLDER_PROPS.find((k) => k.toLowerCase() === p.toLowerCase())!;
        out[key] = all[key];
      }
    } else Object.assign(out, all);
    const expand = expandedPropIds(req.query.get("$expand"));
    if (expand) {
      const props: { id: string; value: string }[] = [];
      for (const wanted of expand) {
        const n = normalizePropId(wanted);
        if (n.toLowerCase() === "string 0x3613" && f.containerClass) props.push({ id: n, value: f.containerClass });
      }
      out["singleValueExtendedProperties@odata.context"] = `${st.url}/v1.0/$metadata#users('${f.userId}')/mailFolders('${f.id}')/singleValueExtendedProperties`;
      out.singleValueExtendedProperties = props;
    }
    return out;
  }

  // -------------------------------------------------------------------- user

  private userJson(u: UserRecord, req: GraphRequest): Record<string, unknown> {
    const st = this.state;
    const all: Record<string, unknown> = {
      businessPhones: [],
      displayName: u.displayName,
      givenName: u.givenName ?? u.displayName.split(" ")[0] ?? null,
      jobTitle: u.jobTitle ?? null,
      mail: u.mail,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: "en-US",
      surname: u.surname ?? u.displayName.split(" ").slice(1).join(" ") ?? null,
      userPrincipalName: u.userPrincipalName,
      id: u.id,
    };
    const extraSelectable: Record<string, unknown> = { proxyAddresses: u.proxyAddresses, otherMails: [], mailNickname: u.mail.split("@")[0] };
    const select = req.query.get("$select");
    const ctx = `${st.url}/v1.0/$metadata#users`;
    if (!select) return { "@odata.context": `${ctx}/$entity`, ...all };
    const fields = select.split(",").map((s) => s.trim()).filter(Boolean);
    const out: Record<string, unknown> = { "@odata.context": `${ctx}(${fields.join(",")})/$entity` };
    for (const f of fields) {
      const key = Object.keys({ ...all, ...extraSelectable }).find((k) => k.toLowerCase() === f.toLowerCase());
      if (!key) throw new GraphFailure(400, "Request_BadRequest", `Could not find a property named '${f}' on type 'Microsoft.DirectoryServices.User'.`);
      out[key] = all[key] ?? extraSelectable[key];
    }
    return out;
  }

  // -------------------------------------------------------------------- $batch

  private async batch(caller: Caller, outer: GraphRequest): Promise<GraphResponse> {
    const st = this.state;
    const bad = (message: string): GraphResponse => ({ status: 400, headers: { "Content-Type": GRAPH_CONTENT_TYPE }, body: errorBody("BadRequest", message, outer, st.now()) });
    if (outer.method !== "POST") return { status: 405, headers: { "Content-Type": GRAPH_CONTENT_TYPE }, body: errorBody("BadRequest", "Method not allowed.", outer, st.now()) };
    const b = outer.body as { requests?: unknown } | null | undefined;
    if (!b || typeof b !== "object" || !Array.isArray(b.requests)) return bad("Invalid batch payload format.");
    const items = b.requests as { id?: unknown; method?: unknown; url?: unknown; headers?: Record<string, string>; body?: unknown; dependsOn?: unknown }[];
    if (items.length > 20) return bad("The number of batch requests exceeds the limit of 20.");
    if (!items.length) return bad("Invalid batch payload format.");
    const ids = new Set<string>();
    for (const it of items) {
      if (typeof it.id !== "string" || !it.id || typeof it.method !== "string" || typeof it.url !== "string") return bad("Invalid batch payload format.");
      if (ids.has(it.id)) return bad("Batch request ids must be unique.");
      ids.add(it.id);
    }
    for (const it of items) {
      for (const d of (Array.isArray(it.dependsOn) ? it.dependsOn : []) as string[]) if (!ids.has(d)) return bad(`Batch request with id '${it.id}' depends on an unknown request '${d}'.`);
      if (it.body !== undefined && !Object.keys(it.headers ?? {}).some((k) => k.toLowerCase() === "content-type")) {
        return bad(`Content-Type header is required for batch request '${it.id}' with a body.`);
      }
    }
    const results = new Map<string, { id: string; status: number; headers: Record<string, string>; body?: unknown }>();
    const runItem = async (it: (typeof items)[number]): Promise<void> => {
      const id = it.id as string;
      const deps = (Array.isArray(it.dependsOn) ? it.dependsOn : []) as string[];
      const itemReq: GraphRequest = (() => {
        const u = new URL((it.url as string).replace(/^\/?(v1\.0\/)?/, "/v1.0/"), st.url);
        const hdrs = Object.fromEntries(Object.entries(it.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
        return {
          method: (it.method as string).toUpperCase(), path: u.pathname.slice("/v1.0".length), query: u.searchParams,
          header: (n: string) => hdrs[n.toLowerCase()], body: it.body ?? null, clientRequestId: outer.clientRequestId, requestId: newRequestId(),
        };
      })();
      const mailboxUser = this.targetUserId(caller, itemReq.path);
      st.count(mailboxUser, "batchItems");
      if (deps.some((d) => (results.get(d)?.status ?? 0) >= 400)) {
        results.set(id, { id, status: 424, headers: { "Content-Type": GRAPH_CONTENT_TYPE }, body: errorBody("FailedDependency", "The request failed because a dependent request failed.", itemReq, st.now()) });
        return;
      }
      const fault = st.takeFault({ area: "graph", path: itemReq.path, method: itemReq.method, userId: mailboxUser, batchItem: true });
      if (fault) {
        const r = faultResponse(fault, itemReq, st.now());
        results.set(id, { id, status: r.status, headers: r.headers, body: r.body });
        return;
      }
      let admitted = false;
      if (mailboxUser) {
        const t = st.admit(caller.clientId, mailboxUser);
        if (t) {
          const r = throttled(t, itemReq, st.now());
          results.set(id, { id, status: r.status, headers: r.headers, body: r.body });
          return;
        }
        admitted = true;
      }
      try {
        const r = this.execute(caller, itemReq);
        const entry: { id: string; status: number; headers: Record<string, string>; body?: unknown } = { id, status: r.status, headers: r.headers };
        if (r.body !== null && r.body !== undefined) entry.body = r.body;
        results.set(id, entry);
      } finally {
        if (admitted && mailboxUser) st.release(caller.clientId, mailboxUser);
      }
    };
    // Run items whose dependencies are done, at most 4 at a time (Outlook's batch parallelism).
    const pending = [...items];
    while (pending.length) {
      const ready = pending.filter((it) => ((Array.isArray(it.dependsOn) ? it.dependsOn : []) as string[]).every((d) => results.has(d)));
      if (!ready.length) return bad("Batch requests have a circular dependency.");
      for (let i = 0; i < ready.length; i += 4) await Promise.all(ready.slice(i, i + 4).map(runItem));
      for (const r of ready) pending.splice(pending.indexOf(r), 1);
    }
    return ok({ responses: items.map((it) => results.get(it.id as string)!) });
  }
}

// ---------------------------------------------------------------------- helpers

function ok(body: unknown, headers: Record<string, string> = {}): GraphResponse {
  return { status: 200, headers: { "Content-Type": GRAPH_CONTENT_TYPE, ...headers }, body };
}

function methodNotAllowed(): GraphFailure {
  return new GraphFailure(405, "ErrorInvalidRequest", "The OData request is not supported.");
}

function throttled(t: { reason: string; retryAfter: number }, req: { requestId: string; clientRequestId: string }, now: Date): GraphResponse {
  return {
    status: 429,
    headers: { "Content-Type": GRAPH_CONTENT_TYPE, "Retry-After": String(t.retryAfter) },
    body: errorBody("ApplicationThrottled", `Application is over its ${t.reason} limit.`, req, now),
  };
}

function classify(method: string, path: string): RequestKind {
  const p = path.toLowerCase().replace(/\/+$/, "");
  if (p === "/$batch") return "batch";
  if (/^\/(me|users\/[^/]+)$/.test(p)) return "me";
  if (/\/sendmail$/.test(p)) return "sendMail";
  if (/\/messages\/[^/]+\/send$/.test(p)) return "send";
  if (/\/messages\/[^/]+\/move$/.test(p)) return "move";
  if (/\/messages\/(microsoft\.graph\.)?delta(\(\))?$/.test(p)) return "delta";
  if (/\/messages\/[^/]+\/createreply(all)?$/.test(p)) return "createDraft";
  if (/\/messages\/[^/]+\/reply(all)?$/.test(p)) return "reply";
  if (/\/messages$/.test(p)) return method === "POST" ? "createDraft" : "list";
  if (/\/messages\/[^/]+$/.test(p)) return "get";
  if (/\/mailfolders/.test(p)) return "folders";
  return "other";
}

function parseTop(v: string | null, dflt: number): number {
  if (v === null) return dflt;
  if (!/^\d+$/.test(v.trim())) throw new GraphFailure(400, "BadRequest", `Invalid value '${v}' for $top query option found. The $top query option requires a non-negative integer value.`);
  const n = Number(v);
  if (n > 1000) throw new GraphFailure(400, "BadRequest", `The limit of '1000' for Top query has been exceeded. The value from the incoming request is '${n}'.`);
  return n;
}

function parseSkip(v: string | null): number {
  if (v === null) return 0;
  if (!/^\d+$/.test(v.trim())) throw new GraphFailure(400, "BadRequest", `Invalid value '${v}' for $skip query option found. The $skip query option requires a non-negative integer value.`);
  return Number(v);
}

function parseSelect(v: string | null, known = [...MESSAGE_PROPS, ...SELECT_ONLY_PROPS, ...EVENT_PROPS], type = "message"): string[] | null {
  if (!v) return null;
  const fields = v.split(",").map((s) => s.trim().replace(/^microsoft\.graph\.eventMessage\//i, "")).filter(Boolean);
  for (const f of fields) {
    if (!known.some((k) => k.toLowerCase() === f.toLowerCase())) {
      throw new GraphFailure(400, "RequestBroker--ParseUri", `Could not find a property named '${f}' on type 'microsoft.graph.${type}'.`);
    }
  }
  return fields;
}

const UNSUPPORTED_DELTA_FILTER = "The '$filter' parameter value is not supported for 'Messages' resource; only a value of 'receivedDateTime ge value' is supported.";

/** The one `$filter` message delta accepts: `receivedDateTime ge|gt <date>`. */
function deltaFilter(text: string): { op: "ge" | "gt"; value: Date } {
  let f;
  try {
    f = parseFilter(text);
  } catch {
    throw new GraphFailure(400, "ErrorInvalidUrlQuery", UNSUPPORTED_DELTA_FILTER);
  }
  if (f.type !== "cmp" || f.prop.toLowerCase() !== "receiveddatetime" || (f.op !== "ge" && f.op !== "gt") || !(f.value instanceof Date)) {
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
    throw new GraphFailure(400, "ErrorInvalidUrlQuery", "The '$orderby' parameter value is not supported for 'Messages' resource; only a value of 'receivedDateTime desc' is supported.");
  }
  if (q.get("$search") !== null) throw new GraphFailure(400, "ErrorInvalidUrlQuery", "The '$search' parameter is not supported for 'Messages' delta.");
  const select = q.get("$select");
  parseSelect(select);
  const expand = q.get("$expand");
  expandedPropIds(expand);
  const top = q.get("$top") === null ? null : parseTop(q.get("$top"), 10) || null;
  const ct = q.get("changeType");
  if (ct !== null && !["created", "updated", "deleted"].includes(ct.toLowerCase())) {
    throw new GraphFailure(400, "ErrorInvalidUrlQuery", `The value '${ct}' of the 'changeType' parameter is not supported; use created, updated or deleted.`);
  }
  return { select, expand, filter, top, changeType: ct ? (ct.toLowerCase() as DeltaOptions["changeType"]) : null };
}

/** Absolute https nextLink keeping every original query option, with $skip advanced. */
function nextLink(base: string, req: GraphRequest, skip: number): string {
  const parts: string[] = [];
  for (const [k, v] of req.query) if (k !== "$skip") parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  parts.push(`%24skip=${skip}`);
  return `${base}/v1.0${req.path}?${parts.join("&")}`;
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
    importance: (["low", "normal", "high"].includes(String(m.importance)) ? m.importance : undefined) as "low" | "normal" | "high" | undefined,
    categories: Array.isArray(m.categories) ? m.categories.map(String) : undefined,
    internetMessageHeaders: Array.isArray(m.internetMessageHeaders) ? (m.internetMessageHeaders as { name: string; value: string }[]) : undefined,
    singleValueExtendedProperties: extendedProperties(m.singleValueExtendedProperties),
  };
}

/** `singleValueExtendedProperties` of a message a client creates or sends: [{id, value}] strings. */
function extendedProperties(v: unknown): { id: string; value: string }[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((p) => typeof p?.id !== "string" || typeof p?.value !== "string" || !p.id.trim())) {
    throw new GraphFailure(400, "ErrorInvalidExtendedProperty", "The extended property attribute combination is invalid.");
  }
  return (v as { id: string; value: string }[]).map((p) => ({ id: p.id.trim(), value: p.value }));
}

/** Extended property ids compared as Exchange does: tags numerically, names case-insensitively, spacing ignored. */
function samePropId(a: string, b: string): boolean {
  const norm = (x: string) => normalizePropId(x).replace(/\s+/g, " ").toLowerCase();
  return norm(a) === norm(b);
}
