/**
 * `/v1.0/subscriptions`: create (validation handshake against each URL first), list, get, renew or
 * re-point (PATCH), delete and reauthorize change-notification subscriptions on Outlook messages:
 * `me/messages`, `users/{id}/messages`, and `…/mailFolders('{folder}')/messages`. Asynchronous (the
 * handshake is an outbound call), so it is served beside the synchronous executor, not in $batch.
 */
import type { EmulatorState, UserRecord } from "../state";
import { type SubscriptionRecord, Subscriptions, SubscriptionError, isoTicks } from "../state/subscriptions";
import {
  type Caller,
  GRAPH_CONTENT_TYPE,
  GraphFailure,
  type GraphRequest,
  type GraphResponse,
  MAIL_READ,
  errorBody,
  methodNotAllowed,
  ok,
  requireScope,
} from "./protocol";
import { parsePrefer } from "./query";

export async function subscriptions(st: EmulatorState, caller: Caller, req: GraphRequest): Promise<GraphResponse> {
  try {
    return await route(st, caller, req);
  } catch (e) {
    if (e instanceof GraphFailure)
      return {
        status: e.status,
        headers: { "Content-Type": GRAPH_CONTENT_TYPE },
        body: errorBody(e.code, e.message, req, st.now()),
      };
    if (e instanceof SubscriptionError)
      return {
        status: e.status,
        headers: { "Content-Type": GRAPH_CONTENT_TYPE },
        body: errorBody(e.code, e.message, req, st.now()),
      };
    throw e;
  }
}

async function route(st: EmulatorState, caller: Caller, req: GraphRequest): Promise<GraphResponse> {
  const segs = req.path.replace(/\/+$/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (segs.length === 1) {
    if (req.method === "POST") return create(st, caller, req);
    if (req.method === "GET") {
      const mine = st.subscriptions.list().filter((s) => visibleTo(s, caller));
      return ok({ "@odata.context": `${st.url}/v1.0/$metadata#subscriptions`, value: mine.map(json) });
    }
    throw methodNotAllowed();
  }
  const sub = st.subscriptions.get(segs[1]);
  if (!sub || !visibleTo(sub, caller)) throw new GraphFailure(404, "ResourceNotFound", "The object was not found.");
  if (segs.length === 3 && segs[2].toLowerCase() === "reauthorize" && req.method === "POST")
    return { status: 204, headers: {}, body: null };
  if (segs.length !== 2) throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${segs[2]}'.`);
  if (req.method === "GET")
    return ok({ "@odata.context": `${st.url}/v1.0/$metadata#subscriptions/$entity`, ...json(sub) });
  if (req.method === "DELETE") {
    st.subscriptions.remove(sub.id);
    return { status: 204, headers: {}, body: null };
  }
  if (req.method === "PATCH") return renew(st, sub, req);
  throw methodNotAllowed();
}

/** A subscription is the creating app's; for a delegated caller, of the signed-in user too. */
function visibleTo(s: SubscriptionRecord, caller: Caller): boolean {
  return (
    s.applicationId === caller.clientId &&
    s.tenantId === caller.tenantId &&
    (caller.userId === null || s.creatorId === caller.userId)
  );
}

/** `me/messages`, `/users/{id}/messages`, `me/mailFolders('inbox')/messages`, `users/{id}/mailFolders/{id}/messages`. */
function resolveResource(
  st: EmulatorState,
  caller: Caller,
  resource: string,
): { user: UserRecord; folderId: string | null } {
  const unsupported = () =>
    new SubscriptionError(
      400,
      "ExtensionError",
      `Operation: Create; Exception: [Status Code: BadRequest; Reason: The resource '${resource}' is not supported.]`,
    );
  const path = resource
    .replace(/^https:\/\/[^/]+\/v1\.0\//i, "")
    .replace(/^\/+/, "")
    .replace(/\(\s*'([^']*)'\s*\)/g, "/$1");
  const segs = path.split("/").filter(Boolean).map(decodeURIComponent);
  let user: UserRecord | undefined;
  let rest: string[];
  if (segs[0]?.toLowerCase() === "me") {
    if (!caller.userId)
      throw new SubscriptionError(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
    user = st.getUser(caller.userId);
    rest = segs.slice(1);
  } else if (segs[0]?.toLowerCase() === "users" && segs[1]) {
    user = st.getUser(segs[1]) ?? st.findUserByLogin(segs[1]);
    if (!user || user.tenantId !== caller.tenantId)
      throw new SubscriptionError(404, "ResourceNotFound", `Resource '${segs[1]}' does not exist.`);
    if (caller.userId !== null && user.id !== caller.userId)
      throw new GraphFailure(
        403,
        "ExtensionError",
        "Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied.]",
      );
    rest = segs.slice(2);
  } else throw unsupported();
  if (rest.length === 1 && rest[0].toLowerCase() === "messages") return { user: user!, folderId: null };
  if (rest.length === 3 && rest[0].toLowerCase() === "mailfolders" && rest[2].toLowerCase() === "messages") {
    const folder = st.findFolder(user!.id, rest[1]);
    if (!folder)
      throw new SubscriptionError(
        404,
        "ExtensionError",
        "Operation: Create; Exception: [Status Code: NotFound; Reason: The specified folder could not be found in the store.]",
      );
    return { user: user!, folderId: folder.id };
  }
  throw unsupported();
}

async function handshake(st: EmulatorState, urls: (string | null)[]): Promise<void> {
  for (const url of new Set(urls.filter((u): u is string => !!u))) {
    const failure = await st.notifier.validate(url);
    if (failure) throw new SubscriptionError(400, "ValidationError", failure);
  }
}

async function create(st: EmulatorState, caller: Caller, req: GraphRequest): Promise<GraphResponse> {
  requireScope(caller, MAIL_READ);
  const b = req.body;
  if (!b || typeof b !== "object") throw new GraphFailure(400, "BadRequest", "Empty Payload. JSON content expected.");
  const body = b as Record<string, unknown>;
  if (typeof body.resource !== "string" || !body.resource.trim())
    throw new SubscriptionError(400, "InvalidRequest", "resource is a required property for subscription creation.");
  const changeTypes = Subscriptions.parseChangeTypes(body.changeType);
  const notificationUrl = Subscriptions.checkUrl("notificationUrl", body.notificationUrl, true)!;
  const lifecycleNotificationUrl = Subscriptions.checkUrl(
    "lifecycleNotificationUrl",
    body.lifecycleNotificationUrl,
    false,
  );
  const clientState = Subscriptions.checkClientState(body.clientState);
  const expirationDateTime = st.subscriptions.checkExpiration(body.expirationDateTime);
  const { user, folderId } = resolveResource(st, caller, body.resource);
  await handshake(st, [notificationUrl, lifecycleNotificationUrl]);
  const rec = st.subscriptions.add({
    resource: body.resource,
    userId: user.id,
    tenantId: user.tenantId,
    folderId,
    changeTypes,
    notificationUrl,
    lifecycleNotificationUrl,
    clientState,
    expirationDateTime,
    applicationId: caller.clientId,
    creatorId: caller.userId ?? caller.clientId,
    latestSupportedTlsVersion:
      typeof body.latestSupportedTlsVersion === "string" ? body.latestSupportedTlsVersion : "v1_2",
    immutableIds: parsePrefer(req).immutable,
  });
  return {
    status: 201,
    headers: { "Content-Type": GRAPH_CONTENT_TYPE },
    body: { "@odata.context": `${st.url}/v1.0/$metadata#subscriptions/$entity`, ...json(rec) },
  };
}

/** PATCH renews (`expirationDateTime`, same limits) and may re-point `notificationUrl` (validated again). */
async function renew(st: EmulatorState, sub: SubscriptionRecord, req: GraphRequest): Promise<GraphResponse> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const expiration =
    body.expirationDateTime !== undefined ? st.subscriptions.checkExpiration(body.expirationDateTime) : null;
  const url =
    body.notificationUrl !== undefined ? Subscriptions.checkUrl("notificationUrl", body.notificationUrl, true) : null;
  if (url && url !== sub.notificationUrl) await handshake(st, [url]);
  if (expiration) sub.expirationDateTime = expiration;
  if (url) sub.notificationUrl = url;
  return ok({ "@odata.context": `${st.url}/v1.0/$metadata#subscriptions/$entity`, ...json(sub) });
}

function json(s: SubscriptionRecord): Record<string, unknown> {
  return {
    id: s.id,
    resource: s.resource,
    applicationId: s.applicationId,
    changeType: s.changeTypes.join(","),
    clientState: s.clientState,
    notificationUrl: s.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: s.lifecycleNotificationUrl,
    expirationDateTime: isoTicks(s.expirationDateTime),
    creatorId: s.creatorId,
    includeResourceData: null,
    latestSupportedTlsVersion: s.latestSupportedTlsVersion,
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationUrlAppId: null,
  };
}
