/**
 * What the token verifier needs from the authority, fetched from the authority itself rather than derived
 * from its host name: national clouds issue tokens from another host than the one users sign in at
 * (Azure China signs in at login.chinacloudapi.cn and issues from login.partner.microsoftonline.cn).
 *
 * Every outbound request here is bounded whatever the callers send: one request in flight per document,
 * and no new attempt before a cooldown has passed since the last one (5 s after a failed one).
 */

/** The two fields of `{authority}/{tenant}/v2.0/.well-known/openid-configuration` the verifier uses. */
export interface OpenIdMetadata {
  /** May contain the literal `{tenantid}` (tenant-independent metadata); see issuerFor. */
  issuer: string;
  jwksUri: string;
}

/** A signing key as the authority publishes it. `issuer`, when present, limits which tokens it may sign. */
export interface SigningKey {
  kid: string;
  issuer: string | null;
  key: CryptoKey | Uint8Array;
}

const TENANT_PLACEHOLDER = "{tenantid}";

/** The issuer a token of tenant `tid` must carry, from a metadata (or key) issuer template. */
export function issuerFor(template: string, tid: string): string {
  return template.split(TENANT_PLACEHOLDER).join(tid);
}

export class AuthorityFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthorityFetchError";
  }
}

/**
 * After a failed attempt the next may come sooner than the cooldown: while the authority is failing, tokens
 * that are not cached yet cannot be verified at all, so a blip should not last the whole cooldown.
 */
const FAILURE_RETRY_MS = 5_000;

/**
 * One load at a time, and at most one attempt per cooldown (per FAILURE_RETRY_MS after a failure). Callers
 * arriving while a load is in flight share it; callers arriving before the next attempt is due get null
 * and must make do with what they have.
 */
export class ThrottledLoad<T> {
  private pending: Promise<T> | null = null;
  private lastAttempt = -Infinity;
  private lastFailed = false;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly cooldownMs: number,
    private readonly nowMs: () => number,
  ) {}

  attempt(): Promise<T> | null {
    if (this.pending) return this.pending;
    const wait = this.lastFailed ? Math.min(this.cooldownMs, FAILURE_RETRY_MS) : this.cooldownMs;
    if (this.nowMs() - this.lastAttempt < wait) return null;
    this.lastAttempt = this.nowMs();
    const p = this.load();
    this.pending = p;
    const settled = (failed: boolean) => () => {
      this.lastFailed = failed;
      if (this.pending === p) this.pending = null;
    };
    p.then(settled(false), settled(true));
    return p;
  }
}

export interface AuthorityDocumentOptions {
  fetch: typeof globalThis.fetch;
  /** Minimum time between two requests for the same document (ms). */
  cooldownMs: number;
  /** Monotonic milliseconds: cooldowns are about real elapsed time, not the business clock tests move. */
  nowMs: () => number;
  timeoutMs?: number;
}

async function fetchJson(options: AuthorityDocumentOptions, url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await options.fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
  } catch {
    throw new AuthorityFetchError(`The authority could not be reached (${url}).`);
  }
  if (!res.ok) throw new AuthorityFetchError(`The authority answered ${res.status} (${url}).`);
  try {
    return await res.json();
  } catch {
    throw new AuthorityFetchError(`The authority's answer is not JSON (${url}).`);
  }
}

function httpsUrl(value: unknown): string | null {
  if (typeof value !== "string") return null;
  try {
    return new URL(value).protocol === "https:" ? value : null;
  } catch {
    return null;
  }
}

function parseMetadata(doc: unknown, url: string): OpenIdMetadata {
  const d = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  const issuer = httpsUrl(d.issuer);
  const jwksUri = httpsUrl(d.jwks_uri);
  if (!issuer || !jwksUri)
    throw new AuthorityFetchError(`The authority's metadata has no https issuer and jwks_uri (${url}).`);
  return { issuer, jwksUri };
}

/** The metadata is fetched once; after a failure, again only when the cooldown has passed. */
export function createOpenIdMetadata(
  url: string,
  options: AuthorityDocumentOptions,
): { get(): Promise<OpenIdMetadata> } {
  let cached: OpenIdMetadata | null = null;
  const loader = new ThrottledLoad(
    async () => parseMetadata(await fetchJson(options, url), url),
    options.cooldownMs,
    options.nowMs,
  );
  return {
    async get() {
      if (cached) return cached;
      const load = loader.attempt();
      if (!load) throw new AuthorityFetchError("The authority's metadata is unavailable; not asking again yet.");
      cached = await load;
      return cached;
    },
  };
}

interface RawJwk {
  kty?: unknown;
  kid?: unknown;
  use?: unknown;
  alg?: unknown;
  issuer?: unknown;
}

async function parseKeys(
  doc: unknown,
  url: string,
  importKey: (jwk: object) => Promise<CryptoKey | Uint8Array>,
): Promise<Map<string, SigningKey>> {
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new AuthorityFetchError(`The authority's key set has no keys (${url}).`);
  const keys = new Map<string, SigningKey>();
  for (const jwk of list as RawJwk[]) {
    if (!jwk || jwk.kty !== "RSA" || typeof jwk.kid !== "string") continue;
    if (jwk.use !== undefined && jwk.use !== "sig") continue;
    if (jwk.alg !== undefined && jwk.alg !== "RS256") continue;
    try {
      keys.set(jwk.kid, {
        kid: jwk.kid,
        issuer: typeof jwk.issuer === "string" ? jwk.issuer : null,
        key: await importKey(jwk),
      });
    } catch {
      // One malformed key must not take the others down with it.
    }
  }
  return keys;
}

export interface SigningKeysOptions extends AuthorityDocumentOptions {
  /** Keys older than this are refetched before use (Entra advises about a day). */
  maxAgeMs: number;
  importKey: (jwk: object) => Promise<CryptoKey | Uint8Array>;
}

/**
 * The authority's key set (one URL, whatever tenant a token names). An unknown `kid` triggers one refetch,
 * which is how a real key rollover is picked up; the cooldown keeps forged kids from turning each request
 * into an outbound one. A failed refetch keeps the keys already known.
 */
export class SigningKeys {
  private keys: Map<string, SigningKey> | null = null;
  private loadedAt = 0;
  private readonly loader: ThrottledLoad<Map<string, SigningKey>>;

  constructor(
    readonly url: string,
    private readonly options: SigningKeysOptions,
  ) {
    this.loader = new ThrottledLoad(
      async () => parseKeys(await fetchJson(options, url), url, options.importKey),
      options.cooldownMs,
      options.nowMs,
    );
  }

  async find(kid: string): Promise<SigningKey | null> {
    if (!this.keys || this.options.nowMs() - this.loadedAt > this.options.maxAgeMs) await this.reload();
    const known = this.keys?.get(kid);
    if (known) return known;
    return (await this.reload()) ? (this.keys?.get(kid) ?? null) : null;
  }

  /** True when a fresh key set arrived. Throws only when there is no key set at all. */
  private async reload(): Promise<boolean> {
    const load = this.loader.attempt();
    if (!load) {
      if (!this.keys)
        throw new AuthorityFetchError("The authority's signing keys are unavailable; not asking again yet.");
      return false;
    }
    try {
      const keys = await load;
      if (this.keys !== keys) {
        this.keys = keys;
        this.loadedAt = this.options.nowMs();
      }
      return true;
    } catch (err) {
      if (!this.keys) throw err;
      return false;
    }
  }
}
