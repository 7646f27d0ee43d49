/**
 * The Graph SDK client the backend uses for one mailbox, with a middleware chain that:
 * - retries 429/503/504 honouring Retry-After (the SDK's RetryHandler, bounded);
 * - retries dropped connections and stalled requests (the SDK does not: fetch throws, or never answers)
 *   for idempotent requests, with exponential backoff and jitter;
 * - counts every attempt that reaches the network and every retry, so a sweep can record its Graph traffic;
 * - answers a 401 once (when the caller can refresh): a claims challenge (continuous access evaluation) with a
 *   token carrying those claims, any other 401 with a forced refresh — then retries the request once.
 * All HTTPS goes through server/http/outbound (trusting the emulator's CA in tests and demo).
 */
import {
  AuthenticationHandler,
  Client,
  GraphClientError,
  HTTPMessageHandler,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type Context,
  type Middleware,
} from "@microsoft/microsoft-graph-client";
import type { Outbound } from "../http/outbound";

export interface GraphStats {
  /** Attempts that went to the network (each retry counts again). */
  requests: number;
  /** Attempts that were retries (throttling, 5xx, dropped or stalled connections). */
  retries: number;
  /** Response body bytes, from Content-Length where the server sent it. */
  responseBytes: number;
}

export interface GraphClientOptions {
  /** e.g. "https://graph.microsoft.com" (no version). */
  baseUrl: string;
  outbound: Outbound;
  getAccessToken: () => Promise<string>;
  /**
   * A new access token after Graph answered 401 to the current one: `claims` (decoded JSON) when Graph sent a
   * claims challenge, null for a plain 401 (refresh anyway: the grant may have been revoked). Throws when the
   * identity platform refuses. Without it a 401 is answered as it is.
   */
  refreshAccessToken?: (challenge: { claims: string | null }) => Promise<string>;
  /** Retries for 429/503/504 and for network failures; default 5. */
  maxRetries?: number;
  /** Per-attempt timeout in ms; a stalled request is aborted and retried. Default 30 s. */
  timeoutMs?: number;
  /** Base delay for backoff when the server gives no Retry-After, in seconds; default 1. */
  backoffSeconds?: number;
  stats?: GraphStats;
}

export function newGraphStats(): GraphStats {
  return { requests: 0, retries: 0, responseBytes: 0 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sits just above the network: timeout per attempt, retry of network failures, counting. */
class NetworkResilienceHandler implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly stats: GraphStats,
    private readonly maxRetries: number,
    private readonly timeoutMs: number,
    private readonly backoffSeconds: number,
  ) {}
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(context: Context): Promise<void> {
    const method = (context.options?.method ?? "GET").toUpperCase();
    // A POST that failed mid-flight may have been applied (sendMail): never replay it blindly.
    // $batch of GETs is a POST too, but its items are reads, so it is safe to replay.
    const url = typeof context.request === "string" ? context.request : (context.request as Request).url;
    const replayable = method === "GET" || /\/\$batch(\?|$)/.test(url);
    for (let attempt = 0; ; attempt++) {
      this.stats.requests++;
      if (attempt > 0) this.stats.retries++;
      const signal = AbortSignal.timeout(this.timeoutMs);
      context.options = { ...context.options, signal } as typeof context.options;
      try {
        await this.next!.execute(context);
        const len = Number(context.response?.headers.get("content-length") ?? 0);
        if (Number.isFinite(len)) this.stats.responseBytes += len;
        // RetryHandler (above us) retries 429/503/504 by calling us again; count those as retries.
        return;
      } catch (err) {
        if (!replayable || attempt >= this.maxRetries) throw err;
        const delay = this.backoffSeconds * 1000 * 2 ** attempt * (0.5 + Math.random());
        await sleep(Math.min(delay, 30_000));
      }
    }
  }
}

/** Marks attempts the SDK's RetryHandler makes after the first as retries. */
class RetryCounter implements Middleware {
  private next?: Middleware;
  constructor(private readonly stats: GraphStats) {}
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(context: Context): Promise<void> {
    const headers = context.options?.headers as Record<string, string> | Headers | undefined;
    const attempt = headers instanceof Headers ? headers.get("Retry-Attempt") : headers?.["Retry-Attempt"];
    if (attempt) this.stats.retries++;
    await this.next!.execute(context);
  }
}

/**
 * A failure of the caller's token source, carried through the SDK unchanged: the SDK turns any other error
 * thrown inside its middleware into a GraphError that has lost its class (ReauthRequiredError would read as
 * "Microsoft 365 could not be reached"). `tokenSourceError` gives the original back.
 */
function carryTokenError(err: unknown): GraphClientError {
  const carrier = new GraphClientError(err instanceof Error ? err.message : String(err));
  carrier.customError = err;
  return carrier;
}

/** The token source's own error when `err` carries one (see carryTokenError), else `err` itself. */
export function tokenSourceError(err: unknown): unknown {
  return err instanceof GraphClientError && err.customError instanceof Error ? err.customError : err;
}

const MAX_CLAIMS_CHARS = 8192;

/**
 * What a 401's WWW-Authenticate asks for: the decoded `claims` of an insufficient_claims challenge (JSON
 * text), or null. A malformed or oversized challenge counts as a plain 401.
 */
export function challengeClaims(wwwAuthenticate: string | null): string | null {
  if (!wwwAuthenticate || !/\berror="insufficient_claims"/i.test(wwwAuthenticate)) return null;
  const encoded = /\bclaims="([A-Za-z0-9+/=_-]{1,8192})"/.exec(wwwAuthenticate)?.[1];
  if (!encoded) return null;
  const text = Buffer.from(encoded, "base64").toString("utf8");
  if (text.length > MAX_CLAIMS_CHARS) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? text : null;
  } catch {
    return null;
  }
}

function setAuthorization(context: Context, value: string): void {
  if (typeof Request !== "undefined" && context.request instanceof Request) {
    context.request.headers.set("Authorization", value);
    return;
  }
  const options = (context.options ??= {});
  const headers = options.headers;
  if (headers instanceof Headers) headers.set("Authorization", value);
  else if (Array.isArray(headers))
    options.headers = [...headers.filter(([k]) => k.toLowerCase() !== "authorization"), ["Authorization", value]];
  else {
    const rest = Object.fromEntries(Object.entries(headers ?? {}).filter(([k]) => k.toLowerCase() !== "authorization"));
    options.headers = { ...rest, Authorization: value };
  }
}

/**
 * Sits just below the AuthenticationHandler: a 401 to a token MSAL still considers valid means the grant may
 * be gone (revoked, password reset, CAE event). One new token — with the challenge's claims when Graph sent
 * them — and one retry; a refused refresh throws (the token source has already flagged the connection).
 */
class UnauthorizedHandler implements Middleware {
  private next?: Middleware;
  constructor(private readonly refresh: (challenge: { claims: string | null }) => Promise<string>) {}
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(context: Context): Promise<void> {
    await this.next!.execute(context);
    if (context.response?.status !== 401) return;
    const claims = challengeClaims(context.response.headers.get("www-authenticate"));
    // Drain the refused answer so its connection goes back to the pool before the retry.
    await context.response.arrayBuffer().catch(() => undefined);
    let token: string;
    try {
      token = await this.refresh({ claims });
    } catch (err) {
      throw carryTokenError(err);
    }
    setAuthorization(context, `Bearer ${token}`);
    await this.next!.execute(context);
  }
}

export interface GraphClient {
  client: Client;
  stats: GraphStats;
}

export function createGraphClient(opts: GraphClientOptions): GraphClient {
  const stats = opts.stats ?? newGraphStats();
  const maxRetries = opts.maxRetries ?? 5;
  const getAccessToken = async () => {
    try {
      return await opts.getAccessToken();
    } catch (err) {
      throw carryTokenError(err);
    }
  };
  const chain: Middleware[] = [
    new AuthenticationHandler({ getAccessToken }),
    ...(opts.refreshAccessToken ? [new UnauthorizedHandler(opts.refreshAccessToken)] : []),
    new RetryHandler(new RetryHandlerOptions(opts.backoffSeconds ?? 1, maxRetries)),
    new RetryCounter(stats),
    new TelemetryHandler(),
    new NetworkResilienceHandler(stats, maxRetries, opts.timeoutMs ?? 30_000, opts.backoffSeconds ?? 1),
    new HTTPMessageHandler(),
  ];
  const host = new URL(opts.baseUrl).hostname;
  const client = Client.initWithMiddleware({
    baseUrl: opts.baseUrl.replace(/\/?$/, "/"),
    defaultVersion: "v1.0",
    middleware: chain,
    fetchOptions: opts.outbound.fetchOptions as never,
    customHosts: new Set([host]),
  });
  return { client, stats };
}
