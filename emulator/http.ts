/** Small helpers shared by the emulator's HTTP shells (identity, Graph, control). */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface HttpContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  body: Buffer;
}

export function readBody(req: IncomingMessage, limit = 20 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Write a response; returns the number of body bytes. */
export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer | null,
  headers: Record<string, string> = {},
): number {
  const buf = body === null ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  if (res.headersSent || res.destroyed) return 0;
  res.writeHead(status, { ...headers, "Content-Length": String(buf.length) });
  res.end(buf);
  return buf.length;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): number {
  return send(res, status, JSON.stringify(value), { "Content-Type": "application/json; charset=utf-8", ...headers });
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(", ") : v;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = header(req, "origin");
  if (!origin) return {};
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Expose-Headers": "request-id, client-request-id, Retry-After, Preference-Applied, WWW-Authenticate",
    Vary: "Origin",
  };
}

export function preflight(ctx: HttpContext): void {
  send(ctx.res, 204, null, {
    ...corsHeaders(ctx.req),
    "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": header(ctx.req, "access-control-request-headers") ?? "Authorization, Content-Type",
    "Access-Control-Max-Age": "86400",
  });
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
