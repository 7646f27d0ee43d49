/**
 * Webhooks: capture → delivery latency (p50/p95) and deliveries per second to ONE endpoint, against the
 * receiver's own ceiling measured in the same run — the same HTTPS receiver (verifying every request with
 * `standardwebhooks`) hit directly with signed requests by a loop using as many connections as the
 * product may use per endpoint. The product runs as deployed in embedded mode: SQLite, the runner polling
 * at its default interval (WEBHOOK_POLL_INTERVAL_MS), captures written by the store's recordCaptureBatch
 * and followed by the nudge the sweep's writer gives after each committed batch (webhooks.onChanges).
 */
import https from "node:https";
import type net from "node:net";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { systemClock } from "../../server/clock";
import { DEFAULT_WEBHOOKS } from "../../server/config";
import { generateTls } from "../../server/http/tls";
import { createLogger } from "../../server/logger";
import { recordCaptureBatch } from "../../server/store/capture-decisions";
import { createContact } from "../../server/store/contacts";
import { provisionUser } from "../../server/store/users";
import { createWebhooks } from "../../server/webhooks";
import { startSweepQueue } from "../../server/sweep-queue/queue";
import { openPostgresTestDatabase, openSqliteTestDatabase } from "../db/databases";
import { tempDir } from "../support";
import { log } from "./common";

export interface WebhooksResult {
  pollIntervalMs: number;
  perEndpoint: number;
  latency: { samples: number; p50Ms: number; p95Ms: number; maxMs: number };
  throughput: { deliveries: number; seconds: number; perSecond: number };
  receiverCeiling: { requests: number; seconds: number; perSecond: number };
  /** deliveries/s over the receiver's ceiling. */
  ratio: number;
  duplicates: number;
}

const ORG = "bench-org-webhooks";

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * `distributed`: a PostgreSQL admin URL — the same measurement in distributed mode, deliveries through
 * the pg-boss queue (not part of `npm run bench`; for comparing the two modes by hand).
 */
export async function runWebhooks(o: { quick: boolean; distributed?: string }): Promise<WebhooksResult> {
  const tls = await generateTls("Webhook bench CA");
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  let hook = new Webhook(secret);
  const arrivals = new Map<string, number>();
  const engagementArrivals = new Map<string, number>();
  let duplicates = 0;
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = String(req.headers["webhook-id"]);
      let payload: { data?: { engagementId?: string } };
      try {
        payload = hook.verify(Buffer.concat(chunks).toString("utf8"), {
          "webhook-id": id,
          "webhook-timestamp": String(req.headers["webhook-timestamp"]),
          "webhook-signature": String(req.headers["webhook-signature"]),
        }) as typeof payload;
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (arrivals.has(id)) duplicates++;
      arrivals.set(id, performance.now());
      if (payload.data?.engagementId) engagementArrivals.set(payload.data.engagementId, performance.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const url = `https://localhost:${port}/hooks`;
  const settings = { ...DEFAULT_WEBHOOKS, allowHosts: ["localhost"] };

  const receiverCeiling = await ceiling(port, tls.caPem, hook, settings.perEndpoint, o.quick ? 300 : 3000);
  log(`webhooks: receiver ceiling ${receiverCeiling.perSecond}/s`);
  arrivals.clear();
  engagementArrivals.clear();
  duplicates = 0;

  const h = o.distributed ? await openPostgresTestDatabase(o.distributed) : await openSqliteTestDatabase();
  const queue = o.distributed
    ? await startSweepQueue({ connectionString: h.url, logger: createLogger("silent") })
    : null;
  const webhooks = createWebhooks({
    boss: queue?.boss,
    db: h.db,
    config: { tokenEncryptionKey: randomBytes(32), dataDir: tempDir("ec-bench-hooks-"), webhooks: settings },
    clock: systemClock,
    logger: createLogger("silent"),
    extraCaPem: tls.caPem,
  });
  try {
    const user = await provisionUser(
      h.db,
      { organizationId: ORG, oid: "bench-oid", email: "bench@contoso.com", displayName: null },
      new Date(),
    );
    const contact = await createContact(h.db, ORG, { email: "ceo@acme.example" }, new Date(), {
      maxContacts: 10,
      maxClients: 10,
    });
    const created = await webhooks.admin.create(
      ORG,
      { url, description: null, eventTypes: ["engagement.created"] },
      "bench",
    );
    hook = new Webhook(created.secret);
    let n = 0;
    const capture = async (count: number) => {
      const items = Array.from({ length: count }, () => item(++n, contact.id));
      const rec = await h.db
        .transaction()
        .execute((trx) => recordCaptureBatch(trx, ORG, user.id, null, items, new Date()));
      webhooks.onChanges(); // what the sweep (sweep/phases/store.ts) and "capture now" do after committing
      return rec.map((r) => r.engagementId!);
    };
    webhooks.runner.start();

    // Latency: one capture at a time, spread over several poll intervals.
    const samples = o.quick ? 10 : 60;
    const capturedAt = new Map<string, number>();
    for (let i = 0; i < samples; i++) {
      const [id] = await capture(1);
      capturedAt.set(id, performance.now());
      await new Promise((r) => setTimeout(r, settings.pollIntervalMs / 3 + Math.random() * 50));
    }
    await waitFor(() => [...capturedAt.keys()].every((id) => engagementArrivals.has(id)), 30_000);
    const latencies = [...capturedAt].map(([id, t]) => engagementArrivals.get(id)! - t).sort((a, b) => a - b);

    // Throughput: a burst captured at once, until every delivery arrived.
    const burst = o.quick ? 200 : 2000;
    const before = arrivals.size;
    const t0 = performance.now();
    await capture(burst);
    await waitFor(() => arrivals.size - before >= burst, 120_000);
    const seconds = (performance.now() - t0) / 1000;
    const perSecond = Math.round(burst / seconds);
    const result: WebhooksResult = {
      pollIntervalMs: settings.pollIntervalMs,
      perEndpoint: settings.perEndpoint,
      latency: {
        samples: latencies.length,
        p50Ms: Math.round(pct(latencies, 50)),
        p95Ms: Math.round(pct(latencies, 95)),
        maxMs: Math.round(latencies[latencies.length - 1]),
      },
      throughput: { deliveries: burst, seconds: Math.round(seconds * 100) / 100, perSecond },
      receiverCeiling,
      ratio: Math.round((perSecond / receiverCeiling.perSecond) * 100) / 100,
      duplicates,
    };
    log(`webhooks: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await webhooks.close();
    await queue?.stop({ graceful: false });
    await h.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/** The receiver hit directly: signed POSTs over `connections` keep-alive connections. */
async function ceiling(port: number, ca: string, hook: Webhook, connections: number, total: number) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: connections, ca });
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ type: "engagement.created", timestamp: new Date().toISOString(), data: { i } });
      const id = `msg_ceiling_${i}`;
      const at = new Date();
      const req = https.request(
        {
          host: "localhost",
          port,
          path: "/hooks",
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "webhook-id": id,
            "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
            "webhook-signature": hook.sign(id, at, body),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => (res.statusCode === 204 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < total) await one(next++);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { requests: total, seconds: Math.round(seconds * 100) / 100, perSecond: Math.round(total / seconds) };
}

async function waitFor(ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error("webhook deliveries did not all arrive in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

function item(n: number, contactId: string) {
  return {
    outcome: "captured" as const,
    engagement: {
      internetMessageId: `<bench-hook-${n}-${Date.now()}@mail.example>`,
      conversationId: null,
      subject: `Bench ${n}`,
      bodyText: "Body",
      bodyPreview: "Body",
      direction: "inbound" as const,
      messageTime: new Date().toISOString(),
      sentAt: null,
      receivedAt: new Date().toISOString(),
      fromAddress: "ceo@acme.example",
      participants: [{ address: "ceo@acme.example", name: null, role: "from" as const }],
    },
    graphMessageId: `bench-g${n}`,
    webLink: null,
    contactIds: [contactId],
  };
}

/** The report's section for this item (test/bench/report.ts); absent in reports made before it existed. */
export function renderWebhooks(
  s: { ok: true; result: WebhooksResult } | { ok: false; error: string } | undefined,
  n: number,
): string[] {
  const out = [`## ${n}. Webhooks: capture → delivery, one endpoint`, ""];
  if (!s) return [...out, "_Not in this report._", ""];
  if (!s.ok) return [...out, `_Not measured: ${s.error}_`, ""];
  const r = s.result;
  return [
    ...out,
    `Embedded mode (SQLite), default settings (poll every ${r.pollIntervalMs} ms, ${r.perEndpoint} attempts in flight per endpoint; a capture wakes the sender at once, as the sweep does after each committed batch), a real HTTPS receiver on loopback verifying every request with \`standardwebhooks\`.`,
    "",
    "| measure | value |",
    "|---|---|",
    `| capture → delivery latency, ${r.latency.samples} single captures | p50 **${r.latency.p50Ms} ms**, p95 **${r.latency.p95Ms} ms** (max ${r.latency.maxMs} ms) |`,
    `| deliveries per second, a burst of ${r.throughput.deliveries} | **${r.throughput.perSecond}/s** (${r.throughput.seconds} s) |`,
    `| the receiver's ceiling (signed POSTs straight at it, ${r.perEndpoint} connections) | ${r.receiverCeiling.perSecond}/s |`,
    `| deliveries/s ÷ ceiling | ${r.ratio} |`,
    `| duplicate webhook-ids received | ${r.duplicates} |`,
    "",
  ];
}
