/**
 * What the webhook suites share: a real HTTPS receiver (a private CA's certificate for localhost) that
 * verifies every request with the `standardwebhooks` library and can be told to fail, hang or redirect;
 * a database with an organization, a user and a tracked contact; captures that write the changes feed.
 */
import https from "node:https";
import type net from "node:net";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type PgBoss from "pg-boss";
import { ManualClock, type Clock } from "../../server/clock";
import { DEFAULT_WEBHOOKS, type WebhookConfig } from "../../server/config";
import { generateTls, type TlsMaterial } from "../../server/http/tls";
import { createLogger } from "../../server/logger";
import { recordCaptureBatch } from "../../server/store/capture-decisions";
import { createContact } from "../../server/store/contacts";
import { provisionUser } from "../../server/store/users";
import { createWebhooks, type Webhooks } from "../../server/webhooks";
import type { TestDatabase } from "../db/databases";
import { tempDir } from "../support";

export const ORG = "aaaaaaaa-0000-0000-0000-0000000000aa";

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The payload when the signature verified with the receiver's secrets, else null. */
  verified: unknown;
}

export type Behaviour = "ok" | "fail" | "hang" | "redirect";

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  behaviour: Behaviour;
  /** Secrets it verifies with (any one verifying is enough). */
  secrets: string[];
  close(): Promise<void>;
  /** Refuse connections (down) until start() again. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

let tlsMaterial: Promise<TlsMaterial> | null = null;
export const receiverTls = () => (tlsMaterial ??= generateTls("Webhook test CA"));

export function verifyWith(secret: string, r: Pick<Received, "id" | "timestamp" | "signature" | "body">): unknown {
  try {
    return new Webhook(secret).verify(r.body, {
      "webhook-id": r.id,
      "webhook-timestamp": r.timestamp,
      "webhook-signature": r.signature,
    });
  } catch {
    return null;
  }
}

export async function startReceiver(): Promise<Receiver> {
  const tls = await receiverTls();
  const sockets = new Set<net.Socket>();
  const state: Receiver = {
    url: "",
    port: 0,
    received: [],
    behaviour: "ok",
    secrets: [],
    close: async () => {},
    stop: async () => {},
    start: async () => {},
  };
  let server: https.Server | null = null;
  const listen = (port: number) =>
    new Promise<void>((resolve) => {
      server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const r = {
            id: String(req.headers["webhook-id"]),
            timestamp: String(req.headers["webhook-timestamp"]),
            signature: String(req.headers["webhook-signature"]),
            body: Buffer.concat(chunks).toString("utf8"),
          };
          const verified = state.secrets.map((s) => verifyWith(s, r)).find((v) => v !== null) ?? null;
          if (state.behaviour === "hang") {
            state.received.push({ ...r, verified });
            return;
          }
          if (state.behaviour === "redirect") {
            res.writeHead(302, { location: "https://127.0.0.1:1/elsewhere" }).end();
            return;
          }
          if (state.behaviour === "fail") {
            res.writeHead(500).end("x".repeat(20_000));
            return;
          }
          state.received.push({ ...r, verified });
          res.writeHead(verified ? 204 : 401).end();
        });
      });
      server.on("connection", (s: net.Socket) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
      });
      server.listen(port, "127.0.0.1", () => {
        state.port = (server!.address() as net.AddressInfo).port;
        state.url = `https://localhost:${state.port}/hooks`;
        resolve();
      });
    });
  const stop = async () => {
    for (const s of sockets) s.destroy();
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    server = null;
  };
  state.stop = stop;
  state.close = stop;
  state.start = () => listen(state.port);
  await listen(0);
  return state;
}

export interface World {
  clock: ManualClock;
  webhooks: Webhooks;
  /** Another process's webhooks over the same database and key. */
  another(overrides?: Partial<WebhookConfig>, options?: WorldOptions): Webhooks;
  userId: string;
  contactId: string;
  captured: number;
  capture(n?: number): Promise<string[]>;
}

export interface WorldOptions {
  /** Distributed mode: deliveries through this pg-boss. */
  boss?: PgBoss;
  /** The webhooks' clock (default the world's manual clock; pg-boss schedules by the database's clock). */
  clock?: Clock;
  reconcile?: { intervalMs: number; graceMs: number };
}

/** Webhooks over the test database: localhost allowed and resolved to 127.0.0.1, the receiver's CA trusted. */
export async function openWorld(
  h: TestDatabase,
  settings: Partial<WebhookConfig> = {},
  options: WorldOptions = {},
): Promise<World> {
  const tls = await receiverTls();
  const clock = new ManualClock(new Date());
  const user = await provisionUser(
    h.db,
    { organizationId: ORG, oid: "oid-admin", email: "admin@contoso.com", displayName: "Admin" },
    clock.now(),
  );
  const contact = await createContact(h.db, ORG, { email: "ceo@acme.example" }, clock.now(), {
    maxContacts: 100,
    maxClients: 100,
  });
  const config = {
    tokenEncryptionKey: randomBytes(32),
    dataDir: tempDir("ec-webhooks-"),
    webhooks: { ...DEFAULT_WEBHOOKS, allowHosts: ["localhost"], timeoutMs: 2000, ...settings },
  };
  const another = (overrides: Partial<WebhookConfig> = {}, more: WorldOptions = {}) =>
    createWebhooks({
      db: h.db,
      config: { ...config, webhooks: { ...config.webhooks, ...overrides } },
      clock: more.clock ?? options.clock ?? clock,
      logger: createLogger("silent"),
      extraCaPem: tls.caPem,
      resolve: async () => [{ address: "127.0.0.1", family: 4 }],
      boss: more.boss ?? options.boss,
      reconcile: more.reconcile ?? options.reconcile,
    });
  const world: World = {
    clock,
    webhooks: another(),
    another,
    userId: user.id,
    contactId: contact.id,
    captured: 0,
    async capture(n = 1) {
      const items = Array.from({ length: n }, () =>
        captureItem(++world.captured + Math.floor(Math.random() * 1e9), contact.id),
      );
      const recorded = await h.db
        .transaction()
        .execute((trx) => recordCaptureBatch(trx, ORG, user.id, null, items, clock.now()));
      return recorded.map((r) => r.engagementId!);
    },
  };
  return world;
}

function captureItem(n: number, contactId: string) {
  return {
    outcome: "captured" as const,
    engagement: {
      internetMessageId: `<hook${n}@mail.example>`,
      conversationId: null,
      subject: `Subject ${n}`,
      bodyText: "Body",
      bodyPreview: "Body",
      direction: "inbound" as const,
      messageTime: "2026-11-26T10:00:00.000Z",
      sentAt: "2026-11-26T10:00:00.000Z",
      receivedAt: "2026-11-26T10:00:00.000Z",
      fromAddress: "ceo@acme.example",
      participants: [
        { address: "ceo@acme.example", name: null, role: "from" as const },
        { address: "dana@contoso.com", name: null, role: "to" as const },
      ],
    },
    graphMessageId: `g${n}`,
    webLink: null,
    contactIds: [contactId],
  };
}
