/**
 * The Microsoft 365 emulator: Entra ID v2 (authority at `${url}/{tenant}/…`) and Graph v1.0 mail
 * (`${url}/v1.0/…`) over HTTPS on one port, plus a control API under `/_emulator/`.
 * Tests start it in-process on a random port; `npm run emulator` runs it standalone (cli.ts).
 */
import https from "node:https";
import type { Socket } from "node:net";
import { type Clock, systemClock } from "../server/clock";
import { ControlApi } from "./control";
import type { EmulatorDataset } from "./dataset";
import { applyFault, GraphEndpoints } from "./graph";
import { type HttpContext, preflight, readBody, sendJson } from "./http";
import { IdentityEndpoints, aadErrorBody } from "./identity";
import type { NotificationFaults, NotifierTimings } from "./notifications/notifier";
import { EmulatorState } from "./state";
import { generateTls } from "./tls";

export type { EmulatorDataset } from "./dataset";
export type {
  FaultRule,
  MintOptions,
  RequestCounts,
  RevocationCode,
  MessageRecord,
  FolderRecord,
  UserRecord,
} from "./state";
export { EmulatorState } from "./state";

export interface EmulatorOptions {
  /** 0 = random free port (default). Listens on 127.0.0.1; URLs say "localhost". */
  port?: number;
  dataset?: EmulatorDataset;
  clock?: Clock;
  /** Base latency added to every Graph call. */
  latencyMs?: number;
  /** Per app + mailbox; default 4 → 429 ApplicationThrottled (MailboxConcurrency), Retry-After: 1. */
  maxConcurrentPerMailbox?: number;
  /** Per app + mailbox; default 10000 per 10 minutes → 429 ApplicationThrottled (RequestRate). */
  requestBudget?: { requests: number; windowMs: number };
  /** Reuse a certificate instead of generating one. */
  tls?: { certPem: string; keyPem: string; caPem: string };
  /** Lifetime of issued access tokens (default 3599 s). */
  accessTokenLifetimeSeconds?: number;
  /** Lifetime of Graph access tokens issued to CAE-capable (cp1) clients (default 86399 s: Entra's are 20–28 h). */
  caeAccessTokenLifetimeSeconds?: number;
  /**
   * Host (or https origin) that v2 tokens and OpenID metadata name as issuer, when it differs from the
   * sign-in host — as in Azure China (sign in at one host, `iss` https://<issuerHost>/{tid}/v2.0).
   * Default: the emulator's own URL.
   */
  issuerHost?: string;
  /** CA certificate(s) (PEM) to trust for notification URLs, besides the system's: the server under test's. */
  notificationCaPem?: string | string[];
  /** Change-notification faults from the start (delay, loss, duplication, reordering, seed). */
  notificationFaults?: Partial<NotificationFaults>;
  /** Change-notification timings (response/validation timeouts, retry backoff and window). */
  notificationTimings?: Partial<NotifierTimings>;
  /** `$search` misses messages that arrived less than this many ms ago (emulator clock), as a lagging index does. */
  searchIndexLagMs?: number;
  /** Maximum lifetime of a message subscription in minutes (default 10,080). */
  maxSubscriptionLifetimeMinutes?: number;
  /** How long delta/skip tokens stay usable, emulator-clock ms (default 7 days); older → 410 SyncStateNotFound. */
  syncStateLifetimeMs?: number;
}

export interface Emulator {
  /** "https://localhost:<port>" — Entra authority (url + "/{tenant}") and Graph (url + "/v1.0"). */
  url: string;
  port: number;
  /** PEM of the CA that signed the TLS certificate. */
  caPem: string;
  state: EmulatorState;
  close(): Promise<void>;
}

/** "login.example.cn" or "https://login.example.cn[:port]" → "https://login.example.cn[:port]". */
export function issuerOrigin(host: string): string {
  const h = host.trim().replace(/\/+$/, "");
  return new URL(/^https?:\/\//i.test(h) ? h : `https://${h}`).origin;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const state = new EmulatorState(options.clock ?? systemClock, {
    latencyMs: options.latencyMs,
    maxConcurrentPerMailbox: options.maxConcurrentPerMailbox,
    requestBudget: options.requestBudget,
    syncStateLifetimeMs: options.syncStateLifetimeMs,
  });
  if (options.accessTokenLifetimeSeconds) state.accessTokenLifetimeSeconds = options.accessTokenLifetimeSeconds;
  if (options.caeAccessTokenLifetimeSeconds)
    state.caeAccessTokenLifetimeSeconds = options.caeAccessTokenLifetimeSeconds;
  if (options.issuerHost) state.issuerOrigin = issuerOrigin(options.issuerHost);
  const tls = options.tls ?? (await generateTls());
  for (const pem of [options.notificationCaPem ?? []].flat()) state.notifier.trustedCas.push(pem);
  if (options.notificationFaults) state.notifier.setFaults(options.notificationFaults);
  if (options.notificationTimings)
    state.notifier.timings = { ...state.notifier.timings, ...options.notificationTimings };
  if (options.searchIndexLagMs) state.setSearchIndexLag(options.searchIndexLagMs);
  if (options.maxSubscriptionLifetimeMinutes)
    state.subscriptions.maxLifetimeMinutes = options.maxSubscriptionLifetimeMinutes;
  const identity = new IdentityEndpoints(state);
  const graph = new GraphEndpoints(state);
  const control = new ControlApi(state);

  const sockets = new Set<Socket>();
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", state.url);
      const body = await readBody(req);
      const ctx: HttpContext = { req, res, url, method: (req.method ?? "GET").toUpperCase(), body };
      if (ctx.method === "OPTIONS") return preflight(ctx);
      const path = url.pathname;
      if (path.startsWith("/_emulator/")) return control.handle(ctx);
      state.counter.countCaller(
        String(req.headers["user-agent"] ?? ""),
        path === "/v1.0" || path.startsWith("/v1.0/") ? "graph" : "identity",
      );
      if (path === "/v1.0" || path.startsWith("/v1.0/")) return graph.handle(ctx);
      const fault = state.takeFault({ area: "identity", path, method: ctx.method, userId: null });
      if (fault && (fault.kind ?? "status") === "status") {
        // Entra answers transient failures with its own error body, not Graph's.
        const status = fault.status ?? 503;
        const retry =
          fault.retryAfterSeconds === undefined
            ? status === 429 || status === 503
              ? 1
              : null
            : fault.retryAfterSeconds;
        return void sendJson(
          res,
          status,
          aadErrorBody(
            "temporarily_unavailable",
            90033,
            "A transient error has occurred. Please try again.",
            {},
            state.now(),
          ),
          retry === null ? {} : { "Retry-After": String(retry) },
        );
      }
      if (fault && (await applyFault(ctx, fault, null)) === "handled") return;
      if (await identity.handle(ctx)) return;
      sendJson(res, 404, { error: { code: "NotFound", message: `No emulated endpoint at ${path}` } });
    })().catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed)
        sendJson(res, 500, {
          error: { code: "InternalServerError", message: String(e instanceof Error ? e.stack : e) },
        });
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  state.url = `https://localhost:${port}`;
  if (options.dataset) state.loadDataset(options.dataset);
  state.notifier.start();
  return {
    url: state.url,
    port,
    caPem: tls.caPem,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        graph.closing = true;
        void state.notifier.stop();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
