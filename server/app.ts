/**
 * The HTTP app, built from its dependencies so tests call `app.request()` with no network.
 * Layout: public routes (/healthz, /api/openapi.json, /auth/*) → authenticated /api/* routes.
 */
import path from "node:path";
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "./api/context";
import type { AppDeps } from "./api/deps";
import { createErrorHandler, errorResponse } from "./api/errors";
import { methodAwareNotFound } from "./api/method-not-allowed";
import { authMiddleware } from "./api/auth";
import { refuseNulInUrl } from "./api/request";
import { openApiDocument, openApiOperation } from "./api/api-document";
import { mount } from "./api/operations";
import { MAX_CSV_BODY, MAX_JSON_BODY } from "../shared/api/schemas";
import { blocklistRoutes } from "./api/routes/blocklist";
import { clientRoutes } from "./api/routes/clients";
import { authCallbackRoutes, connectionRoutes } from "./api/routes/connection";
import { contactRoutes } from "./api/routes/contacts";
import { engagementRoutes } from "./api/routes/engagements";
import { healthRoutes } from "./api/routes/health";
import { addressRateLimit, apiCors, securityHeaders, userRateLimit } from "./api/security";
import { meRoutes } from "./api/routes/me";
import { mailboxHealthRoutes } from "./api/routes/mailbox-health";
import { organizationRoutes } from "./api/routes/organization";
import { messageRoutes } from "./api/routes/messages";
import { addinRoutes } from "./api/routes/addin";
import { sweepRoutes } from "./api/routes/sweeps";
import { mailRoutes } from "./api/routes/mail";
import { webhookRoutes } from "./api/routes/webhooks";
import { notificationRoutes } from "./api/routes/notifications";
import { MAX_MAIL_REQUEST_BYTES } from "../shared/api/schemas/mail";
import type { Logger } from "./logger";

export type { AppDeps } from "./api/deps";

/** Paths to built and static files are resolved from the repository, not the working directory. */
const REPO_ROOT = path.resolve(__dirname, "..");

/** 256 KB for JSON; 2 MB for the CSV import; 1 MB for POST /api/mail. Checked while streaming, so a lying Content-Length does not help. */
function bodyLimits(): MiddlewareHandler<AppEnv> {
  const onError = (c: Parameters<MiddlewareHandler>[0]) =>
    errorResponse(c, 413, "payload_too_large", "The request body is too large.");
  const limits = [MAX_JSON_BODY, MAX_CSV_BODY, MAX_MAIL_REQUEST_BYTES].map((maxSize) => ({
    maxSize,
    check: bodyLimit({ maxSize, onError }),
  }));
  return async (c, next) => {
    const { maxSize, check } = limits[c.req.path === "/api/contacts/import" ? 1 : c.req.path === "/api/mail" ? 2 : 0];
    // Hono's bodyLimit reads `c.req.raw.body`, which makes @hono/node-server build a whole web Request
    // (an AbortController and a web stream over the socket) for every request with a body — a sizeable
    // share of a status call's CPU. It decides by Content-Length alone when that is present without
    // Transfer-Encoding (Node's parser then holds the body to exactly that length), so that case is
    // decided here the same way, leaving node-server's fast body read in place. Anything else
    // (chunked bodies, no server socket as in app.request() tests) goes through bodyLimit unchanged.
    // GET and HEAD never carry a body here: a web Request cannot have one, so bodyLimit would only
    // build that Request (the same cost as above, on every page, file and /healthz) and then pass.
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
    if (incoming && method !== "TRACE") {
      const length = c.req.header("content-length");
      if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
        return parseInt(length || "0", 10) > maxSize ? onError(c) : next();
      }
    }
    return check(c, next);
  };
}

/** One line per request: method, route, status, duration. Never headers, bodies or query strings. */
function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const entry = {
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    // A 503 is a dependency out of reach (database, Entra), already logged as a warning where it was
    // met and answered with Retry-After: an expected condition, not an error of this server's.
    if (status === 503) logger.warn(entry, "request refused: a dependency is unavailable");
    else if (status >= 500) logger.error(entry, "request failed");
    else logger.debug(entry, "request");
  };
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(createErrorHandler(deps.logger));
  app.notFound(methodAwareNotFound(openApiDocument));
  app.use("*", securityHeaders(deps.config));
  app.use("*", requestLog(deps.logger));
  // Microsoft Graph's notifications: before the pane's CORS and token, which they have nothing to do with.
  app.route("/", notificationRoutes(deps));
  app.use("/api/*", apiCors(deps.config));
  app.use("/auth/callback", addressRateLimit(deps.rateLimit?.unauthenticated));

  // --- public (no token) ---
  app.route("/", healthRoutes(deps));
  mount(app, openApiOperation, (c) => c.json(openApiDocument));
  // The connect flow's redirect target.
  app.route("/", authCallbackRoutes(deps));
  // Task pane, manifest, /addin-config.json; demo/dev: office.js and /preview.
  app.route(
    "/",
    addinRoutes({
      config: deps.config,
      distDir: deps.addinDistDir ?? path.join(REPO_ROOT, "dist", "addin"),
      officeJsDir: path.join(REPO_ROOT, "node_modules", "@microsoft", "office-js", "dist"),
      devManifestPath: path.join(REPO_ROOT, "manifest.xml"),
      assetsDir: path.join(REPO_ROOT, "assets"),
      preview: deps.preview,
    }),
  );

  // --- authenticated /api/* ---
  const api = new Hono<AppEnv>();
  // Every /api answer is the caller's own data: no shared or browser cache may keep it, unless a route
  // says otherwise.
  api.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });
  api.use("*", refuseNulInUrl);
  api.use("*", authMiddleware(deps));
  api.use("*", userRateLimit(deps.rateLimit));
  // After the token and the rate limit, which need headers only: a caller without a valid token, or over
  // its limit, is answered before a byte of its body is read (an unauthenticated chunked body that never
  // ends would otherwise be buffered up to the limit on every connection). No route outside /api takes a body.
  api.use("*", bodyLimits());
  api.route("/", meRoutes(deps));
  api.route("/", clientRoutes(deps));
  api.route("/", contactRoutes(deps));
  api.route("/", engagementRoutes(deps));
  api.route("/", messageRoutes(deps));
  api.route("/", blocklistRoutes(deps));
  api.route("/", connectionRoutes(deps));
  api.route("/", mailboxHealthRoutes(deps));
  api.route("/", organizationRoutes(deps));
  api.route("/", sweepRoutes(deps));
  api.route("/", mailRoutes(deps));
  api.route("/", webhookRoutes(deps));
  app.route("/api", api);

  return app;
}
