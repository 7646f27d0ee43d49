/**
 * A server killed mid-delivery redelivers on restart (distributed mode, PostgreSQL): a sender process
 * takes the delivery's job and POSTs it to a receiver that holds the request open; the process is
 * SIGKILLed there. A new process takes the job over once pg-boss expires it (the attempt's lock has run
 * out by then) and sends it again with the same webhook-id: the receiver sees the id twice (at least
 * once) and the delivery is recorded delivered once, with one attempt (the killed one recorded nothing).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createTokenCipher } from "../../server/identity/token-crypto";
import { createWebhookAdmin } from "../../server/webhooks/endpoints";
import { databaseTargets, type TestDatabase } from "../db/databases";
import { forEachLine, until } from "../support";
import { ORG, openWorld, receiverTls, startReceiver, type Receiver, type World } from "./support";

jest.setTimeout(120_000);

const REPO_ROOT = path.resolve(__dirname, "../..");
const pgTarget = databaseTargets().find((t) => t.name === "postgres")!;
const describeIf = pgTarget.available ? describe : describe.skip;

interface Sender {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<unknown>;
  output: string[];
}

/** Node with tsx's loader in ONE process, so SIGKILL kills the sender itself (not a relaying parent). */
function spawnSender(env: Record<string, string>): Sender {
  const tsxDist = path.join(REPO_ROOT, "node_modules", "tsx", "dist");
  const child = spawn(
    process.execPath,
    [
      "--require",
      path.join(tsxDist, "preflight.cjs"),
      "--import",
      pathToFileURL(path.join(tsxDist, "loader.mjs")).href,
      path.join(__dirname, "sender-process.ts"),
    ],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    forEachLine(child.stdout!, (line) => {
      output.push(line);
      if (line.trim() === "ready") resolve();
    });
    child.once("exit", (code) => reject(new Error(`the sender exited (${code}): ${output.join("\n")}`)));
  });
  child.stderr!.on("data", (c: Buffer) => output.push(c.toString("utf8")));
  const exited = new Promise((r) => child.once("close", r));
  return { child, ready, exited, output };
}

describeIf("a sender killed mid-delivery (distributed mode)", () => {
  let h: TestDatabase;
  let w: World;
  let receiver: Receiver;
  const senders: Sender[] = [];

  beforeEach(async () => {
    h = await pgTarget.open();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const s of senders.splice(0)) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
      await s.exited;
    }
    await w?.webhooks.close();
    await receiver.close();
    await h.close();
  });

  it("redelivers on restart with the same webhook-id, recorded delivered once", async () => {
    const key = randomBytes(32);
    // This process only captures and registers (with the senders' key); it sends nothing.
    w = await openWorld(h);
    const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ec-ca-")), "ca.pem");
    fs.writeFileSync(caFile, (await receiverTls()).caPem);
    const env = { DATABASE_URL: h.url, WEBHOOK_KEY: key.toString("hex"), RECEIVER_CA_FILE: caFile };
    const admin = createWebhookAdmin({
      db: h.db,
      clock: w.clock,
      cipher: createTokenCipher(key),
      allowHosts: ["localhost"],
      maxEndpoints: 20,
    });
    const created = await admin.create(
      ORG,
      { url: receiver.url, description: null, eventTypes: ["engagement.created"] },
      "user-admin",
    );
    receiver.secrets = [created.secret];
    const log = async () => (await admin.deliveries(ORG, created.id, { limit: 10 })).items;

    receiver.behaviour = "hang";
    const first = spawnSender(env);
    senders.push(first);
    await first.ready;
    await w.capture(1);
    await until(
      "the first attempt reached the receiver",
      async () => receiver.received.length,
      (n) => n === 1,
      30_000,
      50,
    );
    first.child.kill("SIGKILL");
    await first.exited;
    const [cut] = await log();
    expect(cut).toMatchObject({ status: "pending", attempts: 0 });

    receiver.behaviour = "ok";
    const second = spawnSender(env);
    senders.push(second);
    await second.ready;
    const [done] = await until("the delivery was redelivered", log, (l) => l[0]?.status === "succeeded", 60_000, 250);
    expect(done).toMatchObject({ attempts: 1, lastError: null });
    expect(receiver.received.map((r) => r.id)).toEqual([done.id, done.id]);
    expect(receiver.received[1].verified).not.toBeNull();
    // Nothing more arrives: the killed attempt's job ended with the redelivery.
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.received).toHaveLength(2);
  });
});
