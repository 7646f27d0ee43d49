/**
 * Connecting a mailbox.
 * - POST /api/connection (authenticated): an authorize URL for the Office dialog.
 * - DELETE /api/connection (authenticated): disconnect; the tokens are deleted at once.
 * - GET /auth/callback (public — the signed state authenticates it): exchanges the code and answers
 *   a small page that hands the result to the Office dialog's opener (messageParent) or, in a plain
 *   browser, says in words what happened. Script is external (/auth/callback.js) so the page runs
 *   under a CSP with no inline script.
 */
import crypto from "node:crypto";
import { Hono } from "hono";
import type { CallbackResult } from "../../mailbox-connection/service";
import { IdentityUnavailableError } from "../../identity/errors";
import { errorResponse } from "../errors";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { authCallbackQuery, errorBodySchema, startConnectionResponseSchema } from "../../../shared/api/schemas";
import { PUBLIC, STANDARD, createRoute, err, file, json, mount, mountApi } from "../operations";

/** office.js: Microsoft's CDN in production; the copy the server ships in demo mode (works offline). */
export const OFFICE_JS_CDN = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
export const OFFICE_JS_LOCAL = "/office-js/office.js";

const tags = ["connection"];
const retryAfter = { "Retry-After": { schema: { type: "integer" as const }, description: "Seconds to wait." } };

const start = createRoute({
  method: "post",
  path: "/api/connection",
  operationId: "startConnection",
  tags,
  summary: "Start connecting the caller's mailbox: an authorize URL to open in the Office dialog",
  description:
    "Authorization code flow with PKCE; the `state` is signed, single-use, expires in minutes and is bound to the caller. " +
    "Scopes: openid profile email offline_access User.Read Mail.Read Mail.Send — the product's fixed delegated set (no Mail.ReadWrite). " +
    "Mail.Read finds email with tracked contacts; Mail.Send is used only by POST /api/mail (sending from the CRM). " +
    "Teammates see engagements captured from the mailbox at its sharing level (GET /api/me/sharing; a new mailbox has the organization's default).",
  responses: {
    "200": json(startConnectionResponseSchema),
    ...STANDARD,
    "503": {
      description:
        "identity_unavailable (Microsoft Entra could not be reached to prepare the sign-in; Retry-After) or database_unavailable.",
      headers: retryAfter,
      content: { "application/json": { schema: errorBodySchema } },
    },
  },
});
const disconnect = createRoute({
  method: "delete",
  path: "/api/connection",
  operationId: "disconnect",
  tags,
  summary: "Disconnect: delete the stored tokens at once (engagements stay)",
  responses: { "204": { description: "Disconnected" }, ...STANDARD },
});
const callback = createRoute({
  method: "get",
  path: "/auth/callback",
  ...PUBLIC,
  operationId: "authCallback",
  tags,
  summary: "OAuth redirect target: exchanges the code, stores the connection, answers a page for the Office dialog",
  description:
    "Rejects replayed, expired or foreign state and a different consenting account with a clear page; stores nothing then. " +
    "Rate-limited per client address (429 in the error shape, Retry-After).",
  request: { query: authCallbackQuery },
  responses: {
    "200": file("text/html", "HTML page that reports the result to the Office dialog"),
    "400": file("text/html", "HTML page explaining the rejection"),
    "429": err("RateLimited"),
    "502": file(
      "text/html",
      "HTML page: Microsoft Entra could not be reached to redeem the code; nothing stored, try connecting again",
    ),
    "503": json(errorBodySchema, "database_unavailable: the database is not reachable right now"),
  },
});
const callbackScript = createRoute({
  method: "get",
  path: "/auth/callback.js",
  ...PUBLIC,
  operationId: "authCallbackScript",
  tags,
  summary: "The callback page's script (a file of its own so the page's CSP allows no inline script)",
  responses: { "200": file("application/javascript", "JavaScript") },
});

export const connectionOperations = [start, disconnect, callback, callbackScript];

export function connectionRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const connections = deps.connections;
  mountApi(app, start, async (c) => {
    const caller = c.get("caller");
    const started = await connections
      .start({
        organizationId: c.get("orgId"),
        userId: c.get("userId"),
        preferredUsername: caller?.preferredUsername ?? null,
      })
      .catch((err: unknown) => {
        if (!(err instanceof IdentityUnavailableError)) throw err;
        c.header("Retry-After", "5");
        return errorResponse(c, 503, "identity_unavailable", err.message);
      });
    if (started instanceof Response) return started;
    const { authorizeUrl } = started;
    return c.json({ authorizeUrl });
  });
  mountApi(app, disconnect, async (c) => {
    await connections.disconnect(c.get("orgId"), c.get("userId"));
    return c.body(null, 204);
  });
  return app;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const PAGE_STYLE =
  "body{font-family:'Segoe UI',system-ui,-apple-system,sans-serif;margin:0;padding:32px 24px;color:#242424;background:#fff;line-height:1.45}" +
  "main{max-width:480px;margin:0 auto}h1{font-size:20px;font-weight:600;margin:0 0 12px}" +
  "main[data-status=connected] h1{color:#0e700e}main[data-status=failed] h1{color:#b10e1c}p{margin:0 0 12px}" +
  "@media (prefers-color-scheme:dark){body{background:#1f1f1f;color:#fff}main[data-status=connected] h1{color:#54b054}main[data-status=failed] h1{color:#f1707b}}";
const STYLE_HASH = crypto.createHash("sha256").update(PAGE_STYLE).digest("base64");

/**
 * Runs in the dialog after office.js. Inside an Office dialog: messageParent with the result (with
 * targetOrigin when the pane lives on another origin, DialogApi 1.2). In a popup outside Office:
 * postMessage to the opener. The words on the page stand on their own either way.
 */
export const CALLBACK_SCRIPT = `(function () {
  var el = document.getElementById("result");
  if (!el) return;
  var msg = JSON.stringify({
    type: "connect-result",
    status: el.getAttribute("data-status"),
    code: el.getAttribute("data-code") || null,
    message: el.getAttribute("data-message")
  });
  var parentOrigin = el.getAttribute("data-parent-origin") || "";
  function toOffice() {
    try {
      var ui = window.Office && window.Office.context && window.Office.context.ui;
      if (!ui || typeof ui.messageParent !== "function") return false;
      var req = window.Office.context.requirements;
      var cross = parentOrigin && parentOrigin !== window.location.origin && req && req.isSetSupported("DialogApi", "1.2");
      if (cross) ui.messageParent(msg, { targetOrigin: parentOrigin });
      else ui.messageParent(msg);
      return true;
    } catch (e) {
      return false;
    }
  }
  function toOpener() {
    try {
      if (window.opener && parentOrigin) window.opener.postMessage(msg, parentOrigin);
    } catch (e) {
      /* opener gone or cross-origin policy: the page text says what happened */
    }
  }
  if (window.Office && typeof window.Office.onReady === "function") {
    window.Office.onReady(function () {
      if (!toOffice()) toOpener();
    });
  } else {
    toOpener();
  }
})();
`;

export function callbackPage(result: CallbackResult, opts: { officeJsUrl: string; parentOrigin: string }): string {
  const code = result.ok ? "" : result.code;
  const hint = result.ok ? "" : `<p>Error code: <code>${escapeHtml(code)}</code></p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(result.title)} — Engagement Capture</title>
<style>${PAGE_STYLE}</style>
<script defer src="${escapeHtml(opts.officeJsUrl)}"></script>
<script defer src="/auth/callback.js"></script>
</head>
<body>
<main id="result" role="status" data-status="${result.status}" data-code="${escapeHtml(code)}" data-message="${escapeHtml(result.message)}" data-parent-origin="${escapeHtml(opts.parentOrigin)}">
<h1>${escapeHtml(result.title)}</h1>
<p>${escapeHtml(result.message)}</p>
${hint}
</main>
</body>
</html>
`;
}

/** Public routes: the OAuth redirect target and its script. */
export function authCallbackRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const connections = deps.connections;
  const officeJsUrl = deps.config.mode === "demo" ? OFFICE_JS_LOCAL : OFFICE_JS_CDN;
  const officeOrigin = officeJsUrl.startsWith("https:") ? new URL(officeJsUrl).origin : "";
  const parentOrigin = new URL(deps.config.addinPublicUrl).origin;
  const csp = [
    "default-src 'none'",
    `script-src 'self'${officeOrigin ? ` ${officeOrigin}` : ""}`,
    `style-src 'sha256-${STYLE_HASH}'`,
    // office.js talks to its host frame and loads its own pieces from where it came from.
    `connect-src 'self'${officeOrigin ? ` ${officeOrigin}` : ""}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");

  mount(app, callbackScript, (c) => {
    c.header("Content-Type", "application/javascript; charset=utf-8");
    c.header("Cache-Control", "public, max-age=3600");
    c.header("X-Content-Type-Options", "nosniff");
    return c.body(CALLBACK_SCRIPT);
  });

  mount(app, callback, async (c) => {
    const result = await connections.handleCallback(c.req.query());
    // The URL carried a code: never cache the page, never leak the URL as a referrer.
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Content-Security-Policy", csp);
    c.header("X-Content-Type-Options", "nosniff");
    return c.html(callbackPage(result, { officeJsUrl, parentOrigin }), result.ok ? 200 : result.httpStatus);
  });
  return app;
}
