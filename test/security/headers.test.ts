/**
 * Security headers on every kind of answer, the pane's CSP (and that the pane's HTML needs no inline
 * script), CORS limited to the pane's origin, and the per-user / per-address rate limits.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ConnectionService } from "../../server/api/deps";
import { API_CSP, OUTLOOK_FRAME_ANCESTORS, TokenBuckets, paneCsp } from "../../server/api/security";
import type { Config } from "../../server/config";
import { TENANT_B, createHarness, testConfig, type Harness } from "../api/harness";

const REPO = path.resolve(__dirname, "../..");
const PANE_ORIGIN = "https://pane.contoso.test";

/** Directives of a CSP header as a map name → sources. */
function directives(csp: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of (csp ?? "").split(";")) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), values);
  }
  return out;
}

function expectCommonHeaders(res: Response) {
  expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(["no-referrer", "strict-origin"]).toContain(res.headers.get("referrer-policy"));
  expect(res.headers.get("x-powered-by")).toBeNull();
}

/** <script> elements with inline code (no src, or content between the tags). */
function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
    .filter(([, attrs, body]) => !/\bsrc\s*=/i.test(attrs) || body.trim() !== "")
    .map((m) => m[0]);
}
/** Inline event handlers (onclick=…) and javascript: URLs also count as inline script under CSP. */
function inlineHandlers(html: string): string[] {
  return [...html.matchAll(/<[^>]+\s(on[a-z]+\s*=|href\s*=\s*["']?javascript:)[^>]*>/gi)].map((m) => m[0]);
}

const fakeConnections: ConnectionService = {
  start: async () => ({ authorizeUrl: "https://login.test.example/authorize" }),
  handleCallback: async () => ({
    ok: false,
    status: "failed",
    code: "invalid_state",
    title: "Link expired",
    message: "Start again from the pane.",
    httpStatus: 400,
  }),
  disconnect: async () => true,
};

let t: Harness;
let dist: string;
beforeAll(async () => {
  // A small built pane, so the headers do not depend on `npm run build` having run.
  dist = fs.mkdtempSync(path.join(os.tmpdir(), "ec-dist-"));
  fs.writeFileSync(
    path.join(dist, "taskpane.html"),
    '<!doctype html><html><head><script src="taskpane.js"></script></head><body></body></html>',
  );
  fs.writeFileSync(path.join(dist, "taskpane.js"), "console.log(1)");
  const config: Config = { ...testConfig(), addinPublicUrl: PANE_ORIGIN };
  t = await createHarness({ config, connections: fakeConnections, addinDistDir: dist });
});
afterAll(async () => {
  await t.close();
  fs.rmSync(dist, { recursive: true, force: true });
});

describe("security headers", () => {
  test("JSON answers (200, 401, 404, 400) carry the restrictive CSP and the common headers", async () => {
    const answers = [
      await t.call("GET", "/api/me"),
      await t.call("GET", "/api/me", { token: null }),
      await t.call("GET", "/api/nope"),
      await t.call("POST", "/api/clients", { rawBody: "{" }),
      await t.app.request("/healthz"),
      await t.app.request("/api/openapi.json"),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 401, 404, 400, 200, 200]);
    for (const res of answers) {
      expect(res.headers.get("content-security-policy")).toBe(API_CSP);
      expectCommonHeaders(res);
    }
    // The caller's own data (and its errors) are never cached.
    for (const res of answers.slice(0, 4)) expect(res.headers.get("cache-control")).toBe("no-store");
  });

  test("the pane's pages: script only from self and office.js, no inline script, MSAL's authority reachable, framed only by Outlook", async () => {
    const res = await t.app.request("/taskpane.html");
    expect(res.status).toBe(200);
    expectCommonHeaders(res);
    const d = directives(res.headers.get("content-security-policy"));
    expect(d.get("script-src")).toEqual(["'self'", "https://appsforoffice.microsoft.com"]);
    expect(d.get("connect-src")).toEqual(expect.arrayContaining(["'self'", "https://login.test.example"]));
    expect(d.get("frame-ancestors")).toEqual(OUTLOOK_FRAME_ANCESTORS);
    expect(d.get("object-src")).toEqual(["'none'"]);
    const all = [...d.values()].flat();
    expect(all).not.toContain("'unsafe-eval'");
    expect(d.get("script-src")).not.toContain("'unsafe-inline'");
    expect(all).not.toContain("*");
    // Non-HTML files of the pane get the restrictive policy.
    expect((await t.app.request("/taskpane.js")).headers.get("content-security-policy")).toBe(API_CSP);
  });

  test("demo mode: connect-src allows the emulator (the configured authority host); a separately hosted pane may reach the API", () => {
    const demo: Config = {
      ...testConfig(),
      mode: "demo",
      entra: { ...testConfig().entra, authorityHost: "https://localhost:44321" },
    };
    expect(directives(paneCsp(demo)).get("connect-src")).toEqual(["'self'", "https://localhost:44321"]);
    const split: Config = { ...testConfig(), publicUrl: "https://api.contoso.test", addinPublicUrl: PANE_ORIGIN };
    expect(directives(paneCsp(split)).get("connect-src")).toEqual([
      "'self'",
      "https://login.test.example",
      "https://api.contoso.test",
    ]);
  });

  test("/auth/callback keeps its own stricter CSP (external script, hashed style) and gains Outlook's frame-ancestors", async () => {
    const res = await t.app.request("/auth/callback?state=x&code=y");
    expect(res.status).toBe(400);
    expectCommonHeaders(res);
    const d = directives(res.headers.get("content-security-policy"));
    expect(d.get("default-src")).toEqual(["'none'"]);
    expect(d.get("script-src")).toEqual(["'self'", "https://appsforoffice.microsoft.com"]);
    expect(d.get("frame-ancestors")).toEqual(OUTLOOK_FRAME_ANCESTORS);
    const html = await res.text();
    expect(inlineScripts(html)).toEqual([]);
    expect(inlineHandlers(html)).toEqual([]);
    // The one inline <style> is allowed by its hash, nothing else.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    const hash = crypto.createHash("sha256").update(style).digest("base64");
    expect(d.get("style-src")).toEqual([`'sha256-${hash}'`]);
  });

  test("the pane's HTML sources and (when built) dist/addin need no inline script", () => {
    const pages = fs
      .readdirSync(path.join(REPO, "addin"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".html"))
      .map((f) => path.join(REPO, "addin", f));
    const built = path.join(REPO, "dist", "addin");
    if (fs.existsSync(built))
      pages.push(
        ...fs
          .readdirSync(built)
          .filter((f) => f.endsWith(".html"))
          .map((f) => path.join(built, f)),
      );
    expect(pages.length).toBeGreaterThanOrEqual(4);
    for (const file of pages) {
      // html-webpack-plugin's placeholders (<%= … %>) stand for office.js's URL.
      const html = fs
        .readFileSync(file, "utf8")
        .replace(/<%=[^%]*%>/g, "https://appsforoffice.microsoft.com/lib/1/hosted/office.js");
      expect({ file, inline: inlineScripts(html), handlers: inlineHandlers(html) }).toEqual({
        file,
        inline: [],
        handlers: [],
      });
      // Every script URL is this origin (relative) or office.js's host — what script-src allows.
      for (const [, src] of html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi)) {
        expect({
          file,
          src,
          ok: !/^[a-z]+:/i.test(src) || src.startsWith("https://appsforoffice.microsoft.com/"),
        }).toEqual({ file, src, ok: true });
      }
    }
  });
});

describe("CORS on /api/*", () => {
  test("preflight from the pane's origin → 204 allowing Authorization, Content-Type, Idempotency-Key (no token needed)", async () => {
    const res = await t.app.request("/api/messages/status", {
      method: "OPTIONS",
      headers: {
        origin: PANE_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,idempotency-key",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(PANE_ORIGIN);
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "idempotency-key"]));
    expect(res.headers.get("access-control-allow-methods")).toMatch(/POST/);
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expectCommonHeaders(res);
  });

  test("preflight from another origin → 403 in the error shape, no CORS header at all", async () => {
    const res = await t.app.request("/api/me", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
    });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("origin_not_allowed");
    expect([...res.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
  });

  test("answers to the pane's origin (including a 401) are readable by it; other origins get no CORS headers", async () => {
    const ok = await t.call("GET", "/api/me", { headers: { origin: PANE_ORIGIN } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(PANE_ORIGIN);
    expect(ok.headers.get("vary")).toMatch(/Origin/);
    const denied = await t.call("GET", "/api/me", { token: null, headers: { origin: PANE_ORIGIN } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe(PANE_ORIGIN);
    expect(denied.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/);
    for (const origin of ["https://evil.example", "null", `${PANE_ORIGIN}.evil.example`, "http://pane.contoso.test"]) {
      const res = await t.call("GET", "/api/me", { headers: { origin } });
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
    // Outside /api: no CORS at all, even for the pane's origin.
    expect(
      (await t.app.request("/healthz", { headers: { origin: PANE_ORIGIN } })).headers.get(
        "access-control-allow-origin",
      ),
    ).toBeNull();
  });
});

describe("rate limits", () => {
  test("token bucket: burst, then one token per 1/perSecond; Retry-After is the wait for the next token", () => {
    let now = 0;
    const b = new TokenBuckets({ perSecond: 2, burst: 3 }, () => now);
    expect([b.take("u"), b.take("u"), b.take("u")].every((x) => x.ok)).toBe(true);
    expect(b.take("u")).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(b.take("v").ok).toBe(true); // another key has its own bucket
    now = 499;
    expect(b.take("u").ok).toBe(false);
    now = 500;
    expect(b.take("u").ok).toBe(true);
    expect(b.take("u").ok).toBe(false);
    now = 10_000;
    expect([b.take("u"), b.take("u"), b.take("u"), b.take("u")].map((x) => x.ok)).toEqual([true, true, true, false]);
    const slow = new TokenBuckets({ perSecond: 0.25, burst: 1 }, () => 0);
    slow.take("x");
    expect(slow.take("x")).toEqual({ ok: false, retryAfterSeconds: 4 });
  });

  test("per user: 429 rate_limited with Retry-After after the burst, other users unaffected, recovery after the wait", async () => {
    const limited = await createHarness({ rateLimit: { perSecond: 5, burst: 3 } });
    try {
      const token = await limited.token({ oid: "oid-busy" });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.call("GET", "/api/me", { token })).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const res = await limited.call("GET", "/api/clients", { token });
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get("retry-after"));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
      expect((await res.json()).error).toMatchObject({ code: "rate_limited", message: expect.any(String) });
      expectCommonHeaders(res);
      // Same oid in another organization, and another user of the same organization: own buckets.
      expect((await limited.call("GET", "/api/me", { tenant: TENANT_B, oid: "oid-busy" })).status).toBe(200);
      expect((await limited.call("GET", "/api/me", { oid: "oid-calm" })).status).toBe(200);
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      expect((await limited.call("GET", "/api/me", { token })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  test("per address on /auth/callback", async () => {
    const limited = await createHarness({
      connections: fakeConnections,
      rateLimit: { perSecond: 100, burst: 100, unauthenticated: { perSecond: 1, burst: 2 } },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await limited.app.request("/auth/callback?state=x")).status);
      expect(statuses).toEqual([400, 400, 429]);
      // The authenticated API is not affected by the public endpoint's limit.
      expect((await limited.call("GET", "/api/me")).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
