/**
 * Routing of one Graph request (top-level or $batch item) to its resource: the user (/me or
 * /users/{id|upn}), then the mailbox's sendMail, messages and mailFolders; Graph failures and
 * OData parse errors become Graph error responses.
 */
import { ODataError } from "../odata";
import type { EmulatorState, UserRecord } from "../state";
import { delta } from "./delta";
import { getFolder, listFolders, resolveFolder } from "./folders";
import { createDraft, listMessages, messageItem, sendMail } from "./messages";
import { organization } from "./organization";
import {
  type Caller,
  GRAPH_CONTENT_TYPE,
  GraphFailure,
  type GraphRequest,
  type GraphResponse,
  MAIL_READ,
  MAIL_SEND,
  MAIL_WRITE,
  USER_READ,
  errorBody,
  methodNotAllowed,
  ok,
  requireScope,
} from "./protocol";
import { isDeltaSegment } from "./query";
import { userJson } from "./representations";

/** A request routed to one user's resources: the path after the user, and the OData context of that user. */
interface Target {
  caller: Caller;
  user: UserRecord;
  /** Path segments after /me or /users/{id}. */
  rest: string[];
  /** "me" or "users/{ref}" as the request spelled it (delta links keep it). */
  owner: string;
  contextRoot: string;
  req: GraphRequest;
}

export function execute(st: EmulatorState, caller: Caller, req: GraphRequest): GraphResponse {
  try {
    // OData key syntax mailFolders('inbox') → mailFolders/inbox.
    const path = req.path.replace(/\(\s*'([^']*)'\s*\)/g, "/$1").replace(/\/+$/, "");
    const segs = path
      .split("/")
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
    if (!segs.length) throw new GraphFailure(400, "BadRequest", "Invalid request.");
    if (segs[0].toLowerCase() === "organization") return organization(st, caller, segs, req);
    return routeUser(st, resolveTarget(st, caller, segs, req));
  } catch (e) {
    if (e instanceof GraphFailure) {
      return {
        status: e.status,
        headers: { "Content-Type": GRAPH_CONTENT_TYPE, ...e.extraHeaders },
        body: errorBody(e.code, e.message, req, st.now()),
      };
    }
    if (e instanceof ODataError) {
      return {
        status: 400,
        headers: { "Content-Type": GRAPH_CONTENT_TYPE },
        body: errorBody("BadRequest", e.message, req, st.now()),
      };
    }
    throw e;
  }
}

/** The user a path addresses; a delegated caller may only reach their own mailbox, an app only its tenant's. */
function resolveTarget(st: EmulatorState, caller: Caller, segs: string[], req: GraphRequest): Target {
  let user: UserRecord;
  let rest: string[];
  if (segs[0].toLowerCase() === "me") {
    if (!caller.userId)
      throw new GraphFailure(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
    user = st.getUser(caller.userId)!;
    rest = segs.slice(1);
  } else if (segs[0].toLowerCase() === "users" && segs[1]) {
    const target = st.getUser(segs[1]) ?? st.findUserByLogin(segs[1]);
    if (!target || (caller.userId === null && target.tenantId !== caller.tenantId)) {
      throw new GraphFailure(
        404,
        "Request_ResourceNotFound",
        `Resource '${segs[1]}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    if (caller.userId !== null && target.id !== caller.userId) {
      throw new GraphFailure(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
    }
    user = target;
    rest = segs.slice(2);
  } else {
    throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${segs[0]}'.`);
  }
  const owner = segs[0].toLowerCase() === "me" ? "me" : `users/${encodeURIComponent(segs[1])}`;
  return { caller, user, rest, owner, contextRoot: `users('${user.id}')`, req };
}

function routeUser(st: EmulatorState, t: Target): GraphResponse {
  const { caller, user, rest, req } = t;
  const m = req.method;
  if (!rest.length) {
    if (m !== "GET") throw methodNotAllowed();
    requireScope(caller, USER_READ, true);
    return ok(userJson(st, user, req));
  }
  // Everything else is the mailbox.
  if (!user.mailboxEnabled) {
    throw new GraphFailure(
      404,
      "MailboxNotEnabledForRESTAPI",
      "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    );
  }
  const head = rest[0].toLowerCase();
  if (head === "sendmail" && rest.length === 1) {
    if (m !== "POST") throw methodNotAllowed();
    requireScope(caller, MAIL_SEND);
    return sendMail(st, user, req);
  }
  if (head === "messages") return routeMessages(st, t);
  if (head === "mailfolders") return routeFolders(st, t);
  throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${rest[0]}'.`);
}

/** `…/messages[/{id}[/action]]` across the whole mailbox. */
function routeMessages(st: EmulatorState, t: Target): GraphResponse {
  const { caller, user, rest, req, contextRoot } = t;
  if (rest.length === 1) {
    if (req.method === "GET") {
      requireScope(caller, MAIL_READ);
      return listMessages(st, user, null, req, `${contextRoot}/messages`);
    }
    if (req.method === "POST") {
      requireScope(caller, MAIL_WRITE);
      return createDraft(st, user, req, "drafts");
    }
    throw methodNotAllowed();
  }
  if (rest.length === 2 && isDeltaSegment(rest[1])) {
    // Real Graph: delta on messages exists per folder only.
    throw new GraphFailure(
      400,
      "BadRequest",
      "Unsupported request: Change tracking is not supported against 'microsoft.graph.message'.",
    );
  }
  return messageItem(st, caller, user, rest[1], rest.slice(2), req, contextRoot, null);
}

/** `…/mailFolders[/{id}[/childFolders | /messages[/delta | /{id}…]]]`. */
function routeFolders(st: EmulatorState, t: Target): GraphResponse {
  const { caller, user, rest, req, contextRoot } = t;
  const m = req.method;
  requireScope(caller, MAIL_READ);
  if (rest.length === 1) {
    if (m !== "GET") throw methodNotAllowed();
    const root = st.findFolder(user.id, "msgfolderroot")!;
    return listFolders(st, user, root, req, `${contextRoot}/mailFolders`);
  }
  const folder = resolveFolder(st, user, rest[1]);
  if (rest.length === 2) {
    if (m !== "GET") throw methodNotAllowed();
    return getFolder(st, folder, req, contextRoot);
  }
  const sub = rest[2].toLowerCase();
  if (sub === "childfolders" && rest.length === 3) {
    if (m !== "GET") throw methodNotAllowed();
    return listFolders(st, user, folder, req, `${contextRoot}/mailFolders('${folder.id}')/childFolders`);
  }
  if (sub !== "messages") throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${rest[0]}'.`);
  if (rest.length === 3) {
    if (m === "GET") return listMessages(st, user, folder, req, `${contextRoot}/mailFolders('${rest[1]}')/messages`);
    if (m === "POST") {
      requireScope(caller, MAIL_WRITE);
      return createDraft(st, user, req, folder.id);
    }
    throw methodNotAllowed();
  }
  if (rest.length === 4 && isDeltaSegment(rest[3])) {
    if (m !== "GET") throw methodNotAllowed();
    return delta(st, user, folder, req, `${st.url}/v1.0/${t.owner}/mailFolders('${folder.id}')/messages/delta`);
  }
  return messageItem(st, caller, user, rest[3], rest.slice(4), req, contextRoot, folder);
}
