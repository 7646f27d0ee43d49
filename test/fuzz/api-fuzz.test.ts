/**
 * Property-based fuzzing of every route in the OpenAPI description, against the real composition
 * (startServer: HTTPS, temporary SQLite, the emulator as authority, the built-in rate limits):
 * - through app.request: wrong types on the schema's own fields, huge strings, deep JSON (to
 *   10,000 levels), invalid UTF-8, wrong content types, path traversal in ids, odd query strings,
 *   bad and missing tokens;
 * - over raw TLS sockets (what a Request object cannot express): huge and duplicate headers, bad
 *   Content-Length, conflicting framing, invalid bytes in the request line and header values,
 *   odd methods, invalid Host, traversal in static paths.
 * Every answer is < 500 and, when an error, in the error shape; the server is healthy afterwards
 * and logged no unhandled error. FUZZ_SEED=<n> replays a run; the seed is printed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { Writable } from "node:stream";
import fc from "fast-check";
import { startEmulator, type Emulator } from "../../emulator";
import { openApiDocument } from "../../server/api/api-document";
import { loadConfig } from "../../server/config";
import { createLogger } from "../../server/logger";
import { startServer, type RunningServer } from "../../server/cli/serve";
import { CLIENT_ID, CLIENT_SECRET, dataset, ADA, EVE } from "../connect/harness";

jest.setTimeout(120_000);

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 300);
const RAW_RUNS = Number(process.env.FUZZ_RAW_RUNS ?? 400);

let emulator: Emulator;
let server: RunningServer;
let dir: string;
const logLines: string[] = [];
const counts = { appRequests: 0, rawRequests: 0, dependencyUnavailable: 0, byStatus: new Map<number, number>() };
const tokens: string[] = [];
let seedPrinted = false;

function tally(status: number) {
  counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
}

beforeAll(async () => {
  emulator = await startEmulator({ dataset });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-fuzz-"));
  const loaded = loadConfig({
    ENTRA_CLIENT_ID: CLIENT_ID,
    ENTRA_CLIENT_SECRET: CLIENT_SECRET,
    ENTRA_AUTHORITY_HOST: emulator.url,
    GRAPH_BASE_URL: emulator.url,
    PUBLIC_URL: "https://engage.contoso.test",
    DATA_DIR: dir,
    LOG_LEVEL: "warn",
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(chunk.toString("utf8"));
      cb();
    },
  });
  // A built pane of its own (the real build is another suite's job): the static routes are fuzzed
  // against files that exist, whatever order the suites run in.
  const distDir = path.join(dir, "addin");
  fs.mkdirSync(distDir);
  for (const page of ["taskpane.html", "dialog.html", "auth.html", "preview.html"]) {
    fs.writeFileSync(
      path.join(distDir, page),
      `<!doctype html><html><head><script id="office-js" src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script></head><body></body></html>`,
    );
  }
  fs.writeFileSync(path.join(distDir, "taskpane.0000.js"), "void 0;");
  server = await startServer({
    config: loaded.config,
    extraCaPem: emulator.caPem,
    port: 0,
    scheduler: false,
    logger: createLogger("warn", sink),
    addinDistDir: distDir,
  });
  // Many callers, so the per-user rate limit (20/s, burst 60) is not what answers most requests.
  for (let i = 0; i < 120; i++) {
    const user = i % 2 ? ADA : EVE;
    tokens.push(
      emulator.state.mintAccessToken({
        userId: user.id,
        clientId: CLIENT_ID,
        audience: CLIENT_ID,
        scopes: ["access_as_user"],
        overrides: { oid: `fuzz-user-${i}` },
      }),
    );
  }
});

afterAll(async () => {
  const statuses = [...counts.byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(" ");
  console.log(
    `API fuzz: ${counts.appRequests + counts.rawRequests} malformed requests (${counts.appRequests} through the app, ${counts.rawRequests} over raw TLS) — seed ${SEED}; answers ${statuses}; 503 from an unreachable dependency: ${counts.dependencyUnavailable}`,
  );
  await server?.close();
  await emulator?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function reportSeed() {
  if (!seedPrinted) console.log(`API fuzz failed — replay with FUZZ_SEED=${SEED}`);
  seedPrinted = true;
}

// ---------------------------------------------------------------------------------------------
// Operations and their schema fields

type Method = "get" | "post" | "patch" | "delete" | "put";
interface Operation {
  method: Method;
  path: string;
  secured: boolean;
  fields: string[];
  json: boolean;
  csv: boolean;
}
type SchemaObj = {
  $ref?: string;
  properties?: Record<string, unknown>;
  content?: Record<string, { schema?: SchemaObj }>;
};

function resolve(schema: SchemaObj | undefined): SchemaObj | undefined {
  if (!schema?.$ref) return schema;
  const name = schema.$ref.split("/").pop()!;
  return openApiDocument.components.schemas[name] as SchemaObj;
}

const operations: Operation[] = Object.entries(openApiDocument.paths).flatMap(([p, item]) =>
  Object.entries(item).map(([method, op]) => {
    const body = op.requestBody as SchemaObj | undefined;
    const jsonSchema = resolve(body?.content?.["application/json"]?.schema);
    return {
      method: method as Method,
      path: p,
      secured: !(Array.isArray(op.security) && op.security.length === 0),
      fields: Object.keys(jsonSchema?.properties ?? {}),
      json: !!body?.content?.["application/json"],
      csv: !!body?.content?.["text/csv"],
    };
  }),
);

// ---------------------------------------------------------------------------------------------
// Generators

const NASTY_IDS = [
  "../../etc/passwd",
  "..%2f..%2fpackage.json",
  "%2e%2e%2f%2e%2e%2fdata",
  "..\\..\\windows\\win.ini",
  "%00",
  "%",
  "%E0%A4%A",
  "%ff%fe",
  "' OR '1'='1",
  "1; DROP TABLE clients; --",
  "😀",
  "null",
  "-1",
  "9".repeat(400),
  "a".repeat(5000),
  "%252e%252e%252f",
];

const idArb = fc.oneof(
  fc.constantFrom(...NASTY_IDS),
  fc.uuid(),
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s)),
  fc.string({ unit: "binary", maxLength: 20 }).map((s) => encodeURIComponent(s)),
);

const queryArb = fc.oneof(
  fc.constant(""),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          "limit",
          "cursor",
          "q",
          "clientId",
          "contactId",
          "from",
          "to",
          "wait",
          "state",
          "code",
          "error",
          "preview",
          "x",
          "__proto__",
        ),
        fc.oneof(
          fc.constantFrom("-1", "0", "1e309", "NaN", "true", "2026-13-45", "", "a".repeat(3000), "%ff", "[]", "{}"),
          fc.string({ maxLength: 30 }),
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => "?" + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")),
);

const wrongValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, "", " ", [], {}, [null], { $ne: null }, "a".repeat(70_000)),
  fc.jsonValue({ maxDepth: 3 }),
);

function deepJson(levels: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(levels) + "]".repeat(levels) : '{"a":'.repeat(levels) + "1" + "}".repeat(levels);
}

interface Body {
  contentType: string | null;
  bytes: Uint8Array;
}
const utf8 = (s: string) => new TextEncoder().encode(s);

function bodyArb(op: Operation): fc.Arbitrary<Body> {
  const fields = op.fields.length ? op.fields : ["name", "email"];
  const json = (v: unknown): Body => ({ contentType: "application/json", bytes: utf8(JSON.stringify(v)) });
  return fc.oneof(
    // The schema's own fields with wrong types or out-of-range values, plus unknown fields.
    fc
      .dictionary(fc.constantFrom(...fields, "unknown", "__proto__", "constructor"), wrongValue, { maxKeys: 5 })
      .map(json),
    fc.jsonValue({ maxDepth: 4 }).map(json),
    // Beyond the body limits (256 KB JSON, 1 MB mail, 2 MB CSV).
    fc.constantFrom(300_000, 1_100_000, 2_200_000).map((n) => json({ [fields[0]]: "x".repeat(n) })),
    // Deep JSON.
    fc
      .tuple(fc.constantFrom(100, 1000, 10_000), fc.constantFrom("array" as const, "object" as const))
      .map(([n, k]) => ({
        contentType: "application/json",
        bytes: utf8(k === "object" ? `{"${fields[0]}":${deepJson(n, k)}}` : deepJson(n, k)),
      })),
    // Invalid UTF-8 inside a string, and raw binary.
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({
      contentType: "application/json",
      bytes: new Uint8Array(
        Buffer.concat([
          Buffer.from(`{"${fields[0]}":"`),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from(b),
          Buffer.from('"}'),
        ]),
      ),
    })),
    fc.uint8Array({ maxLength: 256 }).map((b) => ({ contentType: "application/json", bytes: b })),
    // Truncated and not-JSON text.
    fc.string({ maxLength: 200 }).map((s) => ({ contentType: "application/json", bytes: utf8(s) })),
    fc
      .constantFrom("{", '{"a":', "[1,2", '"unterminated', "{}}", "\u0000", "\ufeff{}")
      .map((s) => ({ contentType: "application/json", bytes: utf8(s) })),
    // Wrong or missing content types.
    fc
      .tuple(
        fc.constantFrom(
          "text/plain",
          "application/xml",
          "multipart/form-data; boundary=x",
          "application/x-www-form-urlencoded",
          "text/csv",
          "application/json; charset=utf-16",
          "*/*",
          "application/jsonx",
          null,
        ),
        fc.string({ maxLength: 100 }),
      )
      .map(([contentType, s]) => ({ contentType, bytes: utf8(s) })),
    // CSV abuse for the import.
    fc
      .constantFrom(
        "email\n" + "a@b.c\n".repeat(50),
        'email,name,client\n"unterminated,x,y\n',
        "\ufeffemail,name\n=cmd|' /C calc'!A0,x\n",
        "name\nno-email-column\n",
        "",
        "email," + "x,".repeat(5000) + "\n",
      )
      .map((s) => ({ contentType: "text/csv", bytes: utf8(s) })),
  );
}

const authArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 119 }).map((i) => `Bearer ${tokens[i]}`) },
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "Bearer",
      "Bearer ",
      "Basic Zm9vOmJhcg==",
      "Bearer a.b.c",
      "Bearer " + "A".repeat(8000) + ".e30.",
      "bearer x",
      "Bearer\tx.y.z",
      "Bearer e30.e30.e30",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 119 }).map((i) => `Bearer ${tokens[i]}, Bearer ${tokens[(i + 1) % 120]}`),
  },
);

const headerValue = fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s));
const extraHeadersArb = fc.dictionary(
  fc.constantFrom(
    "idempotency-key",
    "origin",
    "x-forwarded-for",
    "accept",
    "accept-encoding",
    "if-none-match",
    "range",
    "x-http-method-override",
    "cookie",
  ),
  fc.oneof(headerValue, fc.constant("x".repeat(300))),
  { maxKeys: 3 },
);

interface AppRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

function requestArb(op: Operation): fc.Arbitrary<AppRequest> {
  const sendsBody = op.method !== "get";
  return fc
    .record({
      id: idArb,
      file: fc.oneof(
        fc.constantFrom(
          "support.html",
          "..%2fpackage.json",
          "%2e%2e%2fmanifest.xml",
          "..%5c..%5cpackage.json",
          "taskpane.html%00.png",
        ),
        idArb,
      ),
      query: queryArb,
      auth: authArb,
      extra: extraHeadersArb,
      body: sendsBody ? fc.option(bodyArb(op), { nil: undefined, freq: 6 }) : fc.constant(undefined),
      method: fc.oneof(
        { weight: 8, arbitrary: fc.constant(op.method.toUpperCase()) },
        { weight: 1, arbitrary: fc.constantFrom("PUT", "OPTIONS", "HEAD", "PROPFIND", "PATCH", "DELETE") },
      ),
    })
    .map(({ id, file, query, auth, extra, body, method }) => {
      const concrete = op.path.replace("{id}", id).replace("{file}", file).replace("*", file);
      const headers: Record<string, string> = { ...extra };
      if (auth !== null) headers.authorization = auth;
      const canHaveBody = method !== "GET" && method !== "HEAD";
      if (body?.contentType && canHaveBody) headers["content-type"] = body.contentType;
      return { method, url: concrete + query, headers, body: canHaveBody ? body?.bytes : undefined };
    });
}

// ---------------------------------------------------------------------------------------------
// Checks

/** Error answers are JSON {error:{code,message}}; the OAuth callback's are HTML pages by design (OpenAPI). */
function checkAnswer(where: string, status: number, contentType: string | null, text: string) {
  tally(status);
  // A dependency that is briefly unreachable on a loaded machine (the emulator shares this process)
  // is a clear, retryable 503 — not a failure to handle input. Counted and printed, never a 500.
  if (status === 503 && /"code":"(identity|database|graph)_unavailable"/.test(text)) {
    counts.dependencyUnavailable++;
    return;
  }
  if (status >= 500) {
    reportSeed();
    const logged = logLines.filter((l) => /"level":(50|60)/.test(l)).slice(-1)[0] ?? "(nothing logged)";
    throw new Error(`${where} → ${status}: ${text.slice(0, 300)}\nserver log: ${logged.slice(0, 1500)}`);
  }
  if (status < 400) return;
  if (where.includes("/auth/callback") && /^text\/html/.test(contentType ?? "")) return;
  // A HEAD answer has no body by definition: it must announce the JSON the GET would carry.
  if (where.startsWith("HEAD ")) {
    if (!/^application\/json/.test(contentType ?? "")) {
      reportSeed();
      throw new Error(`${where} → ${status} is not JSON (${contentType})`);
    }
    return;
  }
  let body: { error?: { code?: unknown; message?: unknown } } | null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (typeof body?.error?.code !== "string" || typeof body?.error?.message !== "string") {
    reportSeed();
    throw new Error(`${where} → ${status} not in the error shape (${contentType}): ${text.slice(0, 200)}`);
  }
  // Never a stack trace or internal detail in an answer.
  if (/\bat .+\.(ts|js):\d+|node_modules|SqliteError|SQLITE_/.test(text)) {
    reportSeed();
    throw new Error(`${where} → ${status} leaks internals: ${text.slice(0, 300)}`);
  }
}

async function healthy() {
  const health = await server.app.request("/healthz");
  expect(health.status).toBe(200);
  const me = await server.app.request("/api/me", {
    headers: {
      authorization: `Bearer ${emulator.state.mintAccessToken({ userId: ADA.id, clientId: CLIENT_ID, audience: CLIENT_ID, scopes: ["access_as_user"] })}`,
    },
  });
  expect(me.status).toBe(200);
  // Over the network too.
  const raw = await rawRequest(Buffer.from("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  expect(raw.status).toBe(200);
}

// ---------------------------------------------------------------------------------------------
// Raw TLS client

interface RawAnswer {
  status: number | null;
  headers: string;
  body: string;
}

function rawRequest(bytes: Buffer, opts: { endAfterWrite?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = tls.connect({ host: "localhost", port: server.port, ca: server.caPem, servername: "localhost" });
    const timer = setTimeout(() => socket.destroy(), opts.timeoutMs ?? 5000);
    socket.on("secureConnect", () => {
      if (opts.endAfterWrite) socket.end(bytes);
      else socket.write(bytes);
    });
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(all);
      const split = all.indexOf("\r\n\r\n");
      const headers = split >= 0 ? all.slice(0, split) : all;
      let body = split >= 0 ? all.slice(split + 4) : "";
      if (/\r\ntransfer-encoding:\s*chunked/i.test(headers)) body = dechunk(body);
      // Only the first answer on the connection (Content-Length delimits it).
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(headers);
      if (length) body = body.slice(0, Number(length[1]));
      resolve({ status: m ? Number(m[1]) : null, headers, body: Buffer.from(body, "latin1").toString("utf8") });
    });
  });
}

function dechunk(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const eol = s.indexOf("\r\n", i);
    if (eol < 0) break;
    const size = parseInt(s.slice(i, eol), 16);
    if (!size) break;
    out += s.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
  return out;
}

const contentTypeOf = (headers: string) => /\r\ncontent-type:\s*([^\r]+)/i.exec(headers)?.[1] ?? null;

async function sendRaw(
  where: string,
  bytes: Buffer,
  opts: { endAfterWrite?: boolean; timeoutMs?: number; mayNotAnswer?: boolean } = {},
) {
  counts.rawRequests++;
  const res = await rawRequest(bytes, opts);
  if (res.status === null) {
    if (opts.mayNotAnswer) return res;
    reportSeed();
    throw new Error(`${where}: no HTTP answer`);
  }
  checkAnswer(where, res.status, contentTypeOf(res.headers), res.body);
  return res;
}

function rawHttp(
  method: string,
  target: string,
  headers: [string, string | Buffer][],
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const lines: Buffer[] = [
    Buffer.from(`${method} `, "latin1"),
    Buffer.from(target, "latin1"),
    Buffer.from(" HTTP/1.1\r\n"),
  ];
  for (const [k, v] of headers)
    lines.push(
      Buffer.from(`${k}: `, "latin1"),
      typeof v === "string" ? Buffer.from(v, "latin1") : v,
      Buffer.from("\r\n"),
    );
  lines.push(Buffer.from("\r\n"), body);
  return Buffer.concat(lines);
}

// ---------------------------------------------------------------------------------------------
// The suites

describe("every OpenAPI operation, through the app", () => {
  test("the description lists every route of the fully wired server (connect, sweeps, mail included)", () => {
    expect(operations.length).toBeGreaterThanOrEqual(25);
    expect(operations.filter((o) => o.secured).length).toBeGreaterThanOrEqual(20);
    const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
    const registered = new Set(
      server.app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    expect([...registered].filter((r) => !documented.has(r))).toEqual([]);
  });

  test.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))("%s", async (_name, op) => {
    await fc.assert(
      fc.asyncProperty(requestArb(op), async (req) => {
        let url: URL;
        try {
          url = new URL(req.url, "https://localhost");
        } catch {
          return; // not expressible as a Request; the raw suite covers such targets
        }
        counts.appRequests++;
        const res = await server.app.request(url.pathname + url.search, {
          method: req.method,
          headers: req.headers,
          body: req.body as unknown as BodyInit | undefined,
        });
        const text = await res.text();
        checkAnswer(`${req.method} ${req.url.slice(0, 120)}`, res.status, res.headers.get("content-type"), text);
      }),
      { seed: SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true },
    );
  });

  test("the server is healthy afterwards", async () => {
    await healthy();
  });
});

describe("header and framing abuse over raw TLS", () => {
  const token = () => tokens[0];
  const cases: [string, () => Buffer, { endAfterWrite?: boolean; mayNotAnswer?: boolean; timeoutMs?: number }?][] = [
    [
      "huge header value (64 KB)",
      () =>
        rawHttp("GET", "/api/me", [
          ["Host", "localhost"],
          ["X-Big", "a".repeat(64 * 1024)],
          ["Connection", "close"],
        ]),
    ],
    [
      "huge Authorization (20 KB)",
      () =>
        rawHttp("GET", "/api/me", [
          ["Host", "localhost"],
          ["Authorization", "Bearer " + "a".repeat(20 * 1024)],
          ["Connection", "close"],
        ]),
    ],
    [
      "many headers (3,000)",
      () =>
        rawHttp("GET", "/api/me", [
          ["Host", "localhost"],
          ...Array.from({ length: 3000 }, (_, i) => [`X-H${i}`, "v"] as [string, string]),
          ["Connection", "close"],
        ]),
    ],
    [
      "duplicate Authorization (valid + garbage)",
      () =>
        rawHttp("GET", "/api/me", [
          ["Host", "localhost"],
          ["Authorization", `Bearer ${token()}`],
          ["Authorization", "Bearer x.y.z"],
          ["Connection", "close"],
        ]),
    ],
    [
      "duplicate Authorization (garbage first)",
      () =>
        rawHttp("GET", "/api/me", [
          ["Host", "localhost"],
          ["Authorization", "Basic eA=="],
          ["Authorization", `Bearer ${token()}`],
          ["Connection", "close"],
        ]),
    ],
    [
      "non-numeric Content-Length",
      () =>
        rawHttp(
          "POST",
          "/api/clients",
          [
            ["Host", "localhost"],
            ["Authorization", `Bearer ${token()}`],
            ["Content-Type", "application/json"],
            ["Content-Length", "abc"],
            ["Connection", "close"],
          ],
          Buffer.from("{}"),
        ),
    ],
    [
      "negative Content-Length",
      () =>
        rawHttp(
          "POST",
          "/api/clients",
          [
            ["Host", "localhost"],
            ["Content-Length", "-5"],
            ["Connection", "close"],
          ],
          Buffer.from("{}"),
        ),
    ],
    [
      "two different Content-Lengths",
      () =>
        rawHttp(
          "POST",
          "/api/clients",
          [
            ["Host", "localhost"],
            ["Content-Length", "2"],
            ["Content-Length", "3"],
            ["Connection", "close"],
          ],
          Buffer.from("{}"),
        ),
    ],
    [
      "Content-Length and chunked together (smuggling)",
      () =>
        rawHttp(
          "POST",
          "/api/clients",
          [
            ["Host", "localhost"],
            ["Content-Length", "4"],
            ["Transfer-Encoding", "chunked"],
            ["Connection", "close"],
          ],
          Buffer.from("0\r\n\r\n"),
        ),
    ],
    [
      "invalid chunk size",
      () =>
        rawHttp(
          "POST",
          "/api/clients",
          [
            ["Host", "localhost"],
            ["Authorization", `Bearer ${token()}`],
            ["Content-Type", "application/json"],
            ["Transfer-Encoding", "chunked"],
            ["Connection", "close"],
          ],
          Buffer.from("zz\r\n{}\r\n0\r\n\r\n"),
        ),
    ],
    [
      "Content-Length far above the body limit",
      () =>
        rawHttp(
          "POST",
          "/api/clients",
          [
            ["Host", "localhost"],
            ["Authorization", `Bearer ${token()}`],
            ["Content-Type", "application/json"],
            ["Content-Length", "99999999999"],
            ["Connection", "close"],
          ],
          Buffer.from("{}"),
        ),
      { endAfterWrite: true, mayNotAnswer: true, timeoutMs: 3000 },
    ],
    [
      "Content-Length shorter than the body (trailing garbage)",
      () =>
        rawHttp(
          "POST",
          "/api/clients",
          [
            ["Host", "localhost"],
            ["Authorization", `Bearer ${token()}`],
            ["Content-Type", "application/json"],
            ["Content-Length", "2"],
          ],
          Buffer.from("{}GARBAGE / HTTP/1.1\r\n\r\n"),
        ),
    ],
    [
      "Content-Length longer than the body, then the client closes",
      () =>
        rawHttp(
          "POST",
          "/api/clients",
          [
            ["Host", "localhost"],
            ["Authorization", `Bearer ${token()}`],
            ["Content-Type", "application/json"],
            ["Content-Length", "100"],
          ],
          Buffer.from('{"name":'),
        ),
      { endAfterWrite: true, mayNotAnswer: true, timeoutMs: 3000 },
    ],
    [
      "invalid UTF-8 in the JSON body",
      () =>
        rawHttp(
          "POST",
          "/api/clients",
          [
            ["Host", "localhost"],
            ["Authorization", `Bearer ${token()}`],
            ["Content-Type", "application/json"],
            ["Content-Length", "14"],
            ["Connection", "close"],
          ],
          Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]),
        ),
    ],
    [
      "invalid UTF-8 bytes in the path",
      () =>
        rawHttp("GET", "/api/clients/\xff\xfe\xc3", [
          ["Host", "localhost"],
          ["Authorization", `Bearer ${token()}`],
          ["Connection", "close"],
        ]),
    ],
    [
      "invalid UTF-8 bytes in a header value",
      () =>
        rawHttp("GET", "/api/me", [
          ["Host", "localhost"],
          ["Authorization", Buffer.concat([Buffer.from("Bearer "), Buffer.from([0xff, 0xfe, 0xc3, 0x80])])],
          ["Connection", "close"],
        ]),
    ],
    [
      "control character in a header value",
      () =>
        rawHttp("GET", "/api/me", [
          ["Host", "localhost"],
          ["X-Evil", "a\u0001b"],
          ["Connection", "close"],
        ]),
    ],
    [
      "invalid header name",
      () =>
        rawHttp("GET", "/api/me", [
          ["Host", "localhost"],
          ["Bad Header", "x"],
          ["Connection", "close"],
        ]),
    ],
    [
      "header without a colon",
      () => Buffer.from("GET /api/me HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\nConnection: close\r\n\r\n"),
    ],
    ["bare LF line endings", () => Buffer.from("GET /healthz HTTP/1.1\nHost: localhost\nConnection: close\n\n")],
    [
      "invalid Host header",
      () =>
        rawHttp("GET", "/api/me", [
          ["Host", "exa mple.com:99999"],
          ["Connection", "close"],
        ]),
    ],
    [
      "Host with a path",
      () =>
        rawHttp("GET", "/healthz", [
          ["Host", "localhost/evil"],
          ["Connection", "close"],
        ]),
    ],
    ["no Host header (HTTP/1.1)", () => Buffer.from("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")],
    [
      "absolute-form target with another host",
      () =>
        rawHttp("GET", "https://evil.example/api/me", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "absolute-form target with a file: scheme",
      () =>
        rawHttp("GET", "file:///etc/passwd", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "backslash in the path",
      () =>
        rawHttp("GET", "/api\\..\\..\\package.json", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "unknown method",
      () =>
        rawHttp("FROB", "/api/me", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "lower-case method",
      () =>
        rawHttp("get", "/api/me", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "TRACE",
      () =>
        rawHttp("TRACE", "/api/me", [
          ["Host", "localhost"],
          ["Authorization", `Bearer ${token()}`],
          ["Connection", "close"],
        ]),
    ],
    [
      "PROPFIND",
      () =>
        rawHttp("PROPFIND", "/", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "CONNECT",
      () =>
        rawHttp("CONNECT", "localhost:443", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
      { mayNotAnswer: true, timeoutMs: 2000 },
    ],
    ["garbage request line", () => Buffer.from("\x00\x01\x02 / HTTP/9.9\r\n\r\n")],
    ["HTTP/1.0 without Host", () => Buffer.from("GET /healthz HTTP/1.0\r\n\r\n")],
    [
      "overlong request target (100 KB)",
      () =>
        rawHttp("GET", "/api/clients/" + "a".repeat(100 * 1024), [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "traversal to the repository through /office-js/",
      () =>
        rawHttp("GET", "/office-js/../../../package.json", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "encoded traversal through /office-js/",
      () =>
        rawHttp("GET", "/office-js/..%2f..%2f..%2f..%2fpackage.json", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "double-encoded traversal through /assets/",
      () =>
        rawHttp("GET", "/assets/%252e%252e%252f%252e%252e%252fpackage.json", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "encoded traversal through /assets/",
      () =>
        rawHttp("GET", "/assets/..%2f..%2fpackage.json", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "traversal to the token key file",
      () =>
        rawHttp("GET", "/..%2f..%2fdata%2ftoken-key", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
    [
      "NUL in a static path",
      () =>
        rawHttp("GET", "/taskpane.html%00.js", [
          ["Host", "localhost"],
          ["Connection", "close"],
        ]),
    ],
  ];

  // Every row has three cells: with fewer, jest would take the test's third parameter for a `done` callback.
  test.each(cases.map(([name, build, opts]) => [name, build, opts ?? {}] as const))("%s", async (name, build, opts) => {
    const res = await sendRaw(name, build(), opts);
    // Never a file from outside the served directories.
    expect(res.body).not.toMatch(/"name":\s*"engagement-capture"|"dependencies"|root:x:0:0/);
  });

  test("generated header abuse: random methods, targets, header names and byte values", async () => {
    const methodArb = fc.oneof(
      fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS", "HEAD", "SEARCH", "M-SEARCH", "XYZ"),
      fc.stringMatching(/^[A-Z]{1,12}$/),
    );
    const targetArb = fc.oneof(
      fc.constantFrom(
        ...operations.map((o) =>
          o.path.replace("{id}", "x").replace("{file}", "support.html").replace("*", "office.js"),
        ),
      ),
      fc
        .uint8Array({ minLength: 1, maxLength: 40 })
        .map(
          (b) =>
            "/api/clients/" +
            Buffer.from(b.map((x) => (x === 0x20 || x === 0x0d || x === 0x0a ? 0x41 : x))).toString("latin1"),
        ),
      fc.constantFrom(...NASTY_IDS).map((id) => `/api/contacts/${id}`),
    );
    const rawValue = fc.oneof(
      fc
        .string({ maxLength: 80 })
        .filter((s) => !/[\r\n]/.test(s))
        .map((s) => Buffer.from(s, "utf8")),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b.map((x) => (x === 0x0d || x === 0x0a ? 0x20 : x)))),
      fc.integer({ min: 8_000, max: 40_000 }).map((n) => Buffer.from("v".repeat(n))),
    );
    const headerArb = fc.tuple(
      fc.oneof(
        fc.constantFrom(
          "Authorization",
          "Content-Length",
          "Content-Type",
          "Host",
          "Transfer-Encoding",
          "Origin",
          "Idempotency-Key",
          "Expect",
          "Cookie",
        ),
        fc.stringMatching(/^[A-Za-z-]{1,20}$/),
      ),
      rawValue,
    );
    await fc.assert(
      fc.asyncProperty(
        methodArb,
        targetArb,
        fc.array(headerArb, { maxLength: 6 }),
        fc.boolean(),
        async (method, target, headers, auth) => {
          const all: [string, string | Buffer][] = [
            ["Host", "localhost"],
            ...(auth ? [["Authorization", `Bearer ${tokens[1]}`] as [string, string]] : []),
            ...headers,
            ["Connection", "close"],
          ];
          // A declared body length is honoured with that many bytes, so the case is about the headers, not a stalled upload.
          const cl = headers.filter(([k]) => k.toLowerCase() === "content-length").map(([, v]) => v.toString("latin1"));
          const n = cl.length === 1 && /^\d{1,4}$/.test(cl[0]) ? Number(cl[0]) : 0;
          const chunked = headers.some(
            ([k, v]) => k.toLowerCase() === "transfer-encoding" && /chunked/i.test(v.toString("latin1")),
          );
          const body = chunked ? Buffer.from("0\r\n\r\n") : Buffer.alloc(n, 0x7b);
          await sendRaw(`${method} ${target.slice(0, 60)}`, rawHttp(method, target, all, body), {
            mayNotAnswer: method === "CONNECT",
            timeoutMs: 4000,
          });
        },
      ),
      { seed: SEED, numRuns: RAW_RUNS, endOnFailure: true },
    );
  });

  test("the server is healthy afterwards and logged no unhandled error", async () => {
    await healthy();
    const failures = logLines.filter((l) => /"level":(50|60)/.test(l));
    expect(failures).toEqual([]);
  });
});
