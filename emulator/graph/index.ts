/**
 * Microsoft Graph v1.0 mail, as Exchange Online serves it: /me, messages (list, get, per-folder delta with sync-state tokens, create draft,
 * send, reply, move), sendMail, mailFolders, $batch — with OData query options, Prefer headers, Outlook's
 * per app + mailbox throttling, injected faults, and error bodies in Graph's real shapes.
 *
 * One executor (`execute`, routes.ts) answers both top-level requests and $batch items, so a batch item
 * behaves exactly as the same request sent alone. Resources live beside it: messages.ts, folders.ts,
 * delta.ts, batch.ts; their JSON in representations.ts; query options in query.ts; wire conventions in protocol.ts.
 */
import { type HttpContext, corsHeaders, header, send, sleep } from "../http";
import { requestId as newRequestId } from "../ids";
import { verifyJwt } from "../jwt";
import { type EmulatorState, challengeClaims, isGraphAudience } from "../state";
import { batch } from "./batch";
import {
  type Caller,
  GRAPH_CONTENT_TYPE,
  type GraphRequest,
  type GraphResponse,
  applyFault,
  classify,
  errorBody,
  faultResponse,
  throttled,
} from "./protocol";
import { execute } from "./routes";
import { subscriptions } from "./subscriptions";

export { GRAPH_CONTENT_TYPE, type GraphResponse, applyFault };

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
      method: ctx.method,
      path,
      query: ctx.url.searchParams,
      header: (n) => header(ctx.req, n),
      body: parsedBody,
      clientRequestId,
      requestId,
    };
    const write = (r: GraphResponse, userId: string | null) => {
      const bytes = send(ctx.res, r.status, r.body === null || r.body === undefined ? null : JSON.stringify(r.body), {
        ...r.headers,
        "request-id": requestId,
        "client-request-id": clientRequestId,
        "x-ms-ags-diagnostic": JSON.stringify({
          ServerInfo: { DataCenter: "Emulator", Slice: "E", Ring: "5", ScaleUnit: "000", RoleInstance: "EMU" },
        }),
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

    if (/^\/subscriptions(\/|$)/i.test(path)) return write(await subscriptions(st, caller, req), mailboxUser);
    if (path === "/$batch") {
      if (st.latencyMs) await sleep(st.latencyMs);
      return write(await batch(st, this, caller, req), mailboxUser);
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
    if (
      typeof claims.exp !== "number" ||
      claims.exp <= nowS ||
      (typeof claims.nbf === "number" && claims.nbf > nowS + 300)
    ) {
      return fail("Lifetime validation failed, the token is expired.");
    }
    if (typeof claims.aud !== "string" || !isGraphAudience(claims.aud))
      return fail("Access token validation failure. Invalid audience.");
    const scopes = new Set(
      String(claims.scp ?? "")
        .split(" ")
        .filter(Boolean)
        .map((s) => s.toLowerCase()),
    );
    const roles = new Set((Array.isArray(claims.roles) ? claims.roles : []).map((r) => String(r).toLowerCase()));
    const delegated = claims.idtyp !== "app";
    const userId = delegated ? String(claims.oid ?? "") : null;
    if (delegated && !st.getUser(userId!)) return fail("Access token validation failure. User not found.");
    const challenge = delegated ? this.caeChallenge(claims, userId!, req) : null;
    if (challenge) return { error: challenge };
    return {
      caller: {
        clientId: String(claims.appid ?? claims.azp ?? ""),
        userId,
        tenantId: String(claims.tid ?? ""),
        scopes,
        roles,
      },
    };
  }

  /**
   * Graph's claims challenge for a CAE-capable token (`xms_cc` has CP1) issued before a revocation of its
   * user; null when the token stands. Tokens of other clients are honoured until they expire.
   */
  private caeChallenge(claims: Record<string, unknown>, userId: string, req: GraphRequest): GraphResponse | null {
    const st = this.state;
    const cc = Array.isArray(claims.xms_cc) ? claims.xms_cc.map((v) => String(v).toLowerCase()) : [];
    if (!cc.includes("cp1")) return null;
    const revoked = st.tokens.cae.revocationOf(
      userId,
      String(claims.uti ?? ""),
      typeof claims.iat === "number" ? claims.iat : 0,
    );
    if (!revoked) return null;
    const reason =
      "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp";
    return {
      status: 401,
      headers: {
        "Content-Type": GRAPH_CONTENT_TYPE,
        "WWW-Authenticate": `Bearer realm="", authorization_uri="${st.url}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="${challengeClaims(revoked.at)}", error_description="${reason}"`,
      },
      body: errorBody("InvalidAuthenticationToken", reason, req, st.now()),
    };
  }

  /** The mailbox a request addresses (for counting and throttling), if any. */
  targetUserId(caller: Caller, path: string): string | null {
    const m = /^\/(me|users\/([^/]+))(\/|$)/i.exec(path);
    if (!m) return caller.userId;
    if (m[1].toLowerCase() === "me") return caller.userId;
    const ref = decodeURIComponent(m[2]).replace(/^\('|'\)$/g, "");
    return this.state.getUser(ref)?.id ?? this.state.findUserByLogin(ref)?.id ?? null;
  }

  execute(caller: Caller, req: GraphRequest): GraphResponse {
    return execute(this.state, caller, req);
  }
}
