/**
 * HTTP hardening shared by every response: security headers (CSP per kind of answer, HSTS, nosniff,
 * referrer policy), CORS for /api/* limited to the task pane's origin, and token-bucket rate limits
 * (per user on the authenticated API, per client address on the public endpoints that do work and on
 * failed authentications).
 * Also the answer to requests Node's HTTP parser rejects before the app sees them, so those are in
 * the API's error shape too.
 *
 * Rate limits are in memory: in embedded mode that is the whole server; in distributed mode each API
 * process keeps its own buckets, so the effective limit is (limit × API processes). That is accepted:
 * the limit protects a process from one noisy caller, it is not a billing quota.
 */
import https from "node:https";
import type { Duplex } from "node:stream";
import { getRequestListener, RequestError } from "@hono/node-server";
import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "../config";
import type { AppEnv } from "./context";
import { errorBody, errorResponse } from "./errors";

// ---------------------------------------------------------------------------------------------
// Security headers

/** Microsoft's office.js CDN: the only third-party script host the pane loads. */
export const OFFICE_JS_ORIGIN = "https://appsforoffice.microsoft.com";

/**
 * Where Outlook frames the pane: Outlook on the web (work and consumer accounts) and new Outlook
 * (which is Outlook on the web in a shell). Classic Outlook on Windows and Outlook on Mac host the
 * pane in a webview (WebView2 / WKWebView) that has no framing ancestor to check, so they are
 * unaffected by this list.
 */
export const OUTLOOK_FRAME_ANCESTORS = [
  "'self'",
  "https://outlook.office.com",
  "https://outlook.office365.com",
  "https://outlook.live.com",
  "https://*.officeapps.live.com",
  "https://*.office.com",
];

/** JSON, files and anything that is not a page: nothing may load from it, nobody may frame it. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export const HSTS = "max-age=31536000; includeSubDomains";

const originOf = (url: string): string => new URL(url).origin;

/**
 * The CSP of the pane's pages (taskpane, dialog, auth bridge, help, preview) served by this server.
 * - script-src: this origin and office.js's host; no inline script and no eval (the built pages load
 *   every script by URL; webpack's runtime only falls back to `Function` when `globalThis` is absent).
 * - style-src allows inline styles: Fluent UI (Griffel) inserts <style> rules at run time, office.js
 *   sets style attributes, and the built pages carry small style attributes. Styles cannot run code.
 * - connect-src: this origin, the API's origin when the pane is hosted elsewhere, and the Entra
 *   authority (MSAL in the pane talks to it; in demo mode that is the emulator's URL).
 * - frame-src: the authority too, for MSAL's hidden-iframe renewal; 'self' for the preview's frame.
 */
export function paneCsp(config: Config): string {
  const authority = originOf(config.entra.authorityHost);
  const api = originOf(config.publicUrl);
  const connect = ["'self'", authority, ...(api !== originOf(config.addinPublicUrl) ? [api] : [])];
  return [
    "default-src 'self'",
    `script-src 'self' ${OFFICE_JS_ORIGIN}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${[...new Set(connect)].join(" ")}`,
    `frame-src 'self' ${authority}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${OUTLOOK_FRAME_ANCESTORS.join(" ")}`,
  ].join("; ");
}

/** A response's own CSP is kept (e.g. the callback page's stricter one); it gets the pane's frame-ancestors if it has none. */
function withFrameAncestors(csp: string): string {
  return /(^|;)\s*frame-ancestors\s/i.test(csp)
    ? csp
    : `${csp.replace(/;\s*$/, "")}; frame-ancestors ${OUTLOOK_FRAME_ANCESTORS.join(" ")}`;
}

/**
 * Sets the headers on every answer, after the route ran (so errors and 404s get them too).
 * HTML gets the pane's CSP unless the route chose its own; everything else gets API_CSP.
 */
export function securityHeaders(config: Config): MiddlewareHandler {
  const pane = paneCsp(config);
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    const html = /^text\/html\b/i.test(h.get("content-type") ?? "");
    const own = h.get("content-security-policy");
    if (html) h.set("Content-Security-Policy", own ? withFrameAncestors(own) : pane);
    else if (!own) h.set("Content-Security-Policy", API_CSP);
    h.set("Strict-Transport-Security", HSTS);
    h.set("X-Content-Type-Options", "nosniff");
    if (!h.has("referrer-policy")) h.set("Referrer-Policy", "no-referrer");
    h.delete("X-Powered-By");
  };
}

// ---------------------------------------------------------------------------------------------
// CORS

export const CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"];
export const CORS_ALLOW_METHODS = ["GET", "POST", "PATCH", "DELETE"];
export const CORS_EXPOSE_HEADERS = ["Retry-After", "WWW-Authenticate"];

/**
 * CORS for /api/*: only the pane's origin (ADDIN_PUBLIC_URL). No credentials (the API uses Bearer
 * tokens, never cookies). Other origins get no CORS header at all, and their preflights a 403, so
 * a browser never lets another site's script read an answer. Requests without Origin (server to
 * server, curl) are not CORS and pass untouched.
 */
export function apiCors(config: Config): MiddlewareHandler {
  const allowed = originOf(config.addinPublicUrl);
  return async (c, next) => {
    const origin = c.req.header("origin");
    const ok = origin === allowed;
    if (
      c.req.method === "OPTIONS" &&
      origin !== undefined &&
      c.req.header("access-control-request-method") !== undefined
    ) {
      if (!ok) {
        c.header("Vary", "Origin");
        return errorResponse(
          c,
          403,
          "origin_not_allowed",
          "Cross-origin requests are allowed only from the add-in's origin.",
        );
      }
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Allow-Methods": CORS_ALLOW_METHODS.join(", "),
        "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS.join(", "),
        "Access-Control-Max-Age": "600",
        Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      });
    }
    await next();
    c.res.headers.append("Vary", "Origin");
    if (ok) {
      c.res.headers.set("Access-Control-Allow-Origin", allowed);
      c.res.headers.set("Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS.join(", "));
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Rate limiting

export interface RateLimit {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests allowed at once after a quiet period. */
  burst: number;
}

export interface RateLimitSettings extends RateLimit {
  /** Per client address on the public endpoints that do work (/auth/callback). */
  unauthenticated?: RateLimit;
  /** Per client address: API requests whose token did not verify (see FailedAuthLimit). */
  failedAuth?: RateLimit;
  /** Per client address: notification POSTs of which no item verified (server/api/routes/notifications.ts). */
  rejectedNotifications?: RateLimit;
}

/**
 * Per user: the pane makes a few calls per opened message; an integrator paging through engagements
 * stays far below 20/s. The status load test spreads 1,000 req/s over many users, so it is not
 * limited by this; a benchmark may raise the limit through AppDeps.rateLimit.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 20, burst: 60 };
/** Per address on /auth/callback: a connect is one call per user; a whole office behind one NAT connecting at once still fits. */
export const DEFAULT_UNAUTHENTICATED_LIMIT: RateLimit = { perSecond: 2, burst: 30 };

/**
 * Per address, failed authentications (a token sent and refused): a pane whose token expired fails once or
 * twice before MSAL renews it, so a whole office behind one NAT stays far below this; a script trying
 * forged tokens is held to one verification attempt per second.
 */
export const DEFAULT_FAILED_AUTH_LIMIT: RateLimit = { perSecond: 1, burst: 60 };

/**
 * Per address, notification POSTs that verified nothing (not JSON, no item with a known subscription and
 * its clientState): Graph's own never fail verification, so an address past this is a forger, answered
 * 429 before its body is read. Graph retries a 429 later, so even a Graph address sharing the bucket
 * loses nothing for good (and the hourly sweep stays the safety net).
 */
export const DEFAULT_REJECTED_NOTIFICATIONS_LIMIT: RateLimit = { perSecond: 1, burst: 30 };

/** Bound on remembered buckets; full buckets are forgotten first (a full bucket equals no bucket). */
const MAX_BUCKETS = 100_000;

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Token buckets by key. Time is the process's monotonic clock (rates are about real elapsed time,
 * not the business clock tests move), injectable for unit tests.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) throw new Error("Rate limit needs perSecond > 0 and burst >= 1");
  }

  get size(): number {
    return this.buckets.size;
  }

  /** What take() would answer, without taking anything. */
  peek(key: string): Take {
    const tokens = this.available(key, this.nowMs());
    return tokens < 1 ? { ok: false, retryAfterSeconds: this.retryAfter(tokens) } : { ok: true };
  }

  take(key: string): Take {
    const now = this.nowMs();
    const b = this.buckets.get(key);
    const tokens = this.available(key, now);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterSeconds: this.retryAfter(tokens) };
    }
    if (!b && this.buckets.size >= MAX_BUCKETS) this.prune(now);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return { ok: true };
  }

  private available(key: string, now: number): number {
    const b = this.buckets.get(key);
    return b ? Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.perSecond) : this.limit.burst;
  }

  private retryAfter(tokens: number): number {
    return Math.max(1, Math.ceil((1 - tokens) / this.limit.perSecond));
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(key);
    }
    // Still full of active callers: forget the oldest entries rather than grow without bound.
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < MAX_BUCKETS) break;
      this.buckets.delete(key);
    }
  }
}

function tooMany(c: Context, take: Extract<Take, { ok: false }>): Response {
  c.header("Retry-After", String(take.retryAfterSeconds));
  return errorResponse(c, 429, "rate_limited", `Too many requests. Retry after ${take.retryAfterSeconds} second(s).`, {
    retryAfterSeconds: take.retryAfterSeconds,
  });
}

/** Per (organization, user); mount after the auth middleware, which sets orgId and userId. */
export function userRateLimit(limit: RateLimit = DEFAULT_RATE_LIMIT, nowMs?: () => number): MiddlewareHandler<AppEnv> {
  const buckets = new TokenBuckets(limit, nowMs);
  return async (c, next) => {
    const take = buckets.take(`${c.get("orgId")}\u0000${c.get("userId")}`);
    if (!take.ok) return tooMany(c, take);
    await next();
  };
}

/**
 * The TCP peer's address. X-Forwarded-For is not trusted: anyone can send it, and the server does
 * not know whether a proxy is in front. Behind a reverse proxy all callers share the proxy's bucket,
 * which is why this limit is coarse.
 */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "unknown";
}

/** The TCP peer's address, or null for a request that did not come over a socket. */
function peerAddress(c: Context): string | null {
  const address = clientAddress(c);
  return address === "unknown" ? null : address;
}

export function addressRateLimit(
  limit: RateLimit = DEFAULT_UNAUTHENTICATED_LIMIT,
  nowMs?: () => number,
): MiddlewareHandler {
  const buckets = new TokenBuckets(limit, nowMs);
  return async (c, next) => {
    const take = buckets.take(clientAddress(c));
    if (!take.ok) return tooMany(c, take);
    await next();
  };
}

/**
 * Failed authentications per client address. Refusing a token costs a signature check (and, for an
 * unknown signing key, possibly the one key refetch the cooldown allows), so an address that keeps
 * sending tokens that do not verify is answered 429 with Retry-After, before any verification, until its
 * bucket refills. Tokens already verified and still valid keep working from a refused address (users
 * behind the same NAT or proxy as the sender are not locked out); a missing token costs nothing and is
 * not counted. Requests without a peer address never came over a socket (in-process calls such as
 * app.request): there is no caller to hold responsible, so they are not limited.
 */
export class FailedAuthLimit {
  private readonly buckets: TokenBuckets;

  constructor(limit: RateLimit = DEFAULT_FAILED_AUTH_LIMIT, nowMs?: () => number) {
    this.buckets = new TokenBuckets(limit, nowMs);
  }

  /** True when the caller's address has used up its failures. Counts nothing. */
  blocked(c: Context): boolean {
    const address = peerAddress(c);
    return address !== null && !this.buckets.peek(address).ok;
  }

  /** The 429 (with Retry-After) for a blocked address. */
  refuse(c: Context): Response {
    const take = this.buckets.peek(peerAddress(c) ?? "");
    return tooMany(c, take.ok ? { ok: false, retryAfterSeconds: 1 } : take);
  }

  failed(c: Context): void {
    const address = peerAddress(c);
    if (address !== null) this.buckets.take(address);
  }
}

// ---------------------------------------------------------------------------------------------
// Requests the HTTP parser rejects

const PARSER_ANSWERS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    "Request Header Fields Too Large",
    "headers_too_large",
    "The request's headers are too large.",
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "request_timeout", "The request took too long to arrive."],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, "Payload Too Large", "payload_too_large", "The request body is too large."],
};

/**
 * `server.on("clientError", answerClientError)`: Node answers malformed requests (bad request line,
 * invalid header characters, conflicting or non-numeric Content-Length, oversized headers) itself,
 * with an empty body. This writes the same status with the API's error shape and security headers,
 * then closes the connection (the stream is unusable after a parse error).
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // As Node's own handler: nothing to say on a dead socket, or when an answer is already on its way
  // (e.g. a 413 was sent and then the client hung up in the middle of the body it had announced).
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (err.code === "ECONNRESET" || !socket.writable || answering) {
    socket.destroy();
    return;
  }
  const [status, text, code, message] = PARSER_ANSWERS[err.code ?? ""] ?? [
    400,
    "Bad Request",
    "bad_request",
    "The request is malformed.",
  ];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `Content-Security-Policy: ${API_CSP}\r\n` +
      `Strict-Transport-Security: ${HSTS}\r\n` +
      "X-Content-Type-Options: nosniff\r\n" +
      "Referrer-Policy: no-referrer\r\n" +
      "Connection: close\r\n\r\n" +
      body,
  );
}

/** Hono's fetch, as serve() takes it. */
type FetchHandler = (request: Request, env: { incoming: unknown; outgoing: unknown }) => Response | Promise<Response>;

/**
 * For @hono/node-server's `serve({ createServer: hardenedHttpsServer(app.fetch, hostname), serverOptions })`:
 * the same HTTPS server, plus
 * - requests @hono/node-server cannot turn into a Request (invalid Host header, backslash in the
 *   path, a scheme other than http/https in an absolute-form target) answer 400 in the error shape
 *   instead of an empty 400;
 * - requests Node's parser rejects answer through answerClientError.
 * The listener serve() passes is replaced by an equivalent one that has the error handler.
 */
export function hardenedHttpsServer(fetch: FetchHandler, hostname?: string) {
  const listener = getRequestListener(fetch as Parameters<typeof getRequestListener>[0], {
    hostname,
    errorHandler: (err) =>
      err instanceof RequestError
        ? Response.json(errorBody("bad_request", "The request is malformed."), {
            status: 400,
            headers: parserAnswerHeaders(),
          })
        : Response.json(errorBody("internal_error", "Something went wrong on the server."), {
            status: 500,
            headers: parserAnswerHeaders(),
          }),
  });
  const headers = parserAnswerHeaders();
  return ((options: https.ServerOptions) => {
    // HTTP/1.1 without Host is refused here (in the error shape) rather than by Node with an empty 400.
    // A client gets 20 s for its headers and 60 s for its whole request (Node's defaults are 60 s and
    // 5 minutes): enough for a 2 MB CSV on a slow link, short enough that connections trickling a body
    // cannot pile up. Answers may take longer (POST /api/sweeps?wait=true); these bound the request only.
    const server = https.createServer(
      { ...options, requireHostHeader: false, headersTimeout: 20_000, requestTimeout: 60_000 },
      (req, res) => {
        if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && !req.headers.host) {
          res.writeHead(400, { ...headers, "Content-Type": "application/json; charset=utf-8", Connection: "close" });
          res.end(JSON.stringify(errorBody("bad_request", "The request has no Host header.")));
          return;
        }
        void listener(req, res);
      },
    );
    server.on("clientError", answerClientError);
    // An Expect header other than 100-continue: Node's own 417 has an empty body.
    server.on("checkExpectation", (_req, res) => {
      res.writeHead(417, { ...headers, "Content-Type": "application/json; charset=utf-8", Connection: "close" });
      res.end(JSON.stringify(errorBody("expectation_failed", "Only 'Expect: 100-continue' is supported.")));
    });
    return server;
  }) as unknown as typeof https.createServer;
}

function parserAnswerHeaders(): Record<string, string> {
  return {
    "Content-Security-Policy": API_CSP,
    "Strict-Transport-Security": HSTS,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  };
}
