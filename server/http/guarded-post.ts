/**
 * POST to a URL someone else chose (a webhook endpoint) without letting it reach this network: HTTPS
 * only; the host's addresses are resolved here and EVERY one must be public (server/http/public-address),
 * then the connection goes to the address that was checked (the socket's lookup returns it), so a DNS
 * answer that changes between check and connect (rebinding) cannot move it. Redirects are not followed
 * (a 3xx is a failed delivery). The response body is read up to a small cap, then the socket is dropped.
 * Hosts in allowHosts (WEBHOOK_ALLOW_HOSTS: tests, the demo) skip the address check, nothing else.
 */
import dns from "node:dns";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { isPublicAddress } from "./public-address";

export type Resolve = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolve: Resolve = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export class OutboundRefusedError extends Error {
  override readonly name = "OutboundRefusedError";
}

export interface GuardedPostOptions {
  /** Host names (lower case) whose addresses are not checked. */
  allowHosts?: readonly string[];
  resolve?: Resolve;
  timeoutMs: number;
  /** Bytes of the response body kept (the rest is not read). */
  maxResponseBytes?: number;
  /** Extra CA certificates (PEM) trusted besides the system's (tests, the demo). */
  extraCaPem?: string | null;
}

export interface GuardedResponse {
  status: number;
  body: string;
}

/** Throws OutboundRefusedError unless the URL is https with a host that may be called. */
export function assertOutboundUrl(raw: string, allowHosts: readonly string[] = []): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError("not a URL");
  }
  if (url.protocol !== "https:") throw new OutboundRefusedError("only https:// URLs are allowed");
  if (url.username || url.password) throw new OutboundRefusedError("a URL with credentials is not allowed");
  const host = hostOf(url);
  if (allowHosts.includes(host)) return url;
  if (net.isIP(host) && !isPublicAddress(host)) throw new OutboundRefusedError(`${host} is not a public address`);
  if (!net.isIP(host) && (host === "localhost" || host.endsWith(".localhost") || !host.includes(".")))
    throw new OutboundRefusedError(`${host} is not a public host name`);
  return url;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "").toLowerCase();

/** The address to connect to: the host itself (a literal) or its first address once all were checked. */
async function checkedAddress(url: URL, opts: GuardedPostOptions): Promise<{ address: string; family: number }> {
  const host = hostOf(url);
  const allowed = (opts.allowHosts ?? []).includes(host);
  const family = net.isIP(host);
  if (family) return { address: host, family };
  const addresses = await (opts.resolve ?? systemResolve)(host);
  if (addresses.length === 0) throw new OutboundRefusedError(`${host} has no address`);
  const bad = addresses.find((a) => !isPublicAddress(a.address));
  if (bad && !allowed)
    throw new OutboundRefusedError(`${host} resolves to ${bad.address}, which is not a public address`);
  // IPv4 first: a service on "localhost" (an allowed host) usually listens on 127.0.0.1.
  return [...addresses].sort((a, b) => a.family - b.family)[0];
}

const agents = new Map<string, https.Agent>();
function agentFor(extraCaPem: string | null | undefined): https.Agent {
  const key = extraCaPem ?? "";
  let agent = agents.get(key);
  if (!agent) {
    agent = new https.Agent({
      keepAlive: true,
      maxSockets: 64,
      ...(extraCaPem ? { ca: [...tls.rootCertificates, extraCaPem] } : {}),
    });
    agents.set(key, agent);
  }
  return agent;
}

export async function guardedPost(
  raw: string,
  headers: Record<string, string>,
  body: string,
  opts: GuardedPostOptions,
): Promise<GuardedResponse> {
  const url = assertOutboundUrl(raw, opts.allowHosts);
  const pinned = await checkedAddress(url, opts);
  const cap = opts.maxResponseBytes ?? 4096;
  return new Promise<GuardedResponse>((resolve, reject) => {
    const req = https.request(
      {
        method: "POST",
        hostname: hostOf(url),
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        agent: agentFor(opts.extraCaPem),
        timeout: opts.timeoutMs,
        // The connection goes to the address checked above, whatever DNS answers now.
        lookup: ((_host: string, o: { all?: boolean }, cb: (...args: unknown[]) => void) =>
          o?.all ? cb(null, [pinned]) : cb(null, pinned.address, pinned.family)) as unknown as typeof dns.lookup,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8").slice(0, cap) });
        };
        res.on("data", (chunk: Buffer) => {
          if (size < cap) chunks.push(chunk.subarray(0, cap - size));
          size += chunk.length;
          if (size >= cap) {
            done();
            res.destroy();
          }
        });
        res.on("end", done);
        res.on("error", () => done());
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.on("timeout", () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Close the pooled connections (shutdown). */
export function closeGuardedAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}
