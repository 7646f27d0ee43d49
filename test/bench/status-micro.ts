/**
 * Developer tool (not part of `npm run bench`): the status computation alone — messageStatus on a seeded
 * SQLite database, 50 calls in flight, no HTTP — in µs per call, to compare changes to the status path
 * on a busy machine (CPU time per call, which other processes disturb less than wall time). `npx tsx test/bench/status-micro.ts [rounds]`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { messageStatus } from "../../server/api/message-status";
import { systemClock } from "../../server/clock";
import { migrateToLatest, openDatabase } from "../../server/db";
import { createContact } from "../../server/store/contacts";
import { saveConnection } from "../../server/store/mailbox-connections";
import { provisionUser } from "../../server/store/users";
import { messageStatusSchema } from "../../shared/api/schemas";
import { TENANT } from "./common";

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-status-micro-"));
  const db = await openDatabase(path.join(dir, "m.db"));
  await migrateToLatest(db);
  const now = new Date();
  const users: { id: string; mail: string }[] = [];
  for (let i = 0; i < 500; i++) {
    const mail = `user${i}@contoso.com`;
    const u = await provisionUser(db, { organizationId: TENANT, oid: `oid-${i}`, email: mail, displayName: null }, now);
    await saveConnection(db, TENANT, u.id, { homeAccountId: null, tokenCache: null }, now);
    users.push({ id: u.id, mail });
  }
  const contacts = Array.from({ length: 5000 }, (_, i) => `contact${i + 1}@client${(i % 250) + 1}.example`);
  const dayAgo = new Date(now.getTime() - 86_400_000);
  for (const email of contacts) await createContact(db, TENANT, { email }, dayAgo);
  const deps = {
    db,
    clock: systemClock,
    config: { sweep: { windowHours: 24 } } as never,
    sweeps: { nextSweepAt: async () => new Date(now.getTime() + 1_800_000) },
  };
  const bodies = Array.from({ length: 1000 }, (_, i) =>
    messageStatusSchema.parse({
      internetMessageId: `<bench-${i}@client.example>`,
      from: i % 2 ? { address: contacts[(i * 7) % 5000], name: "Client" } : { address: `x${i}@elsewhere.example` },
      to: [{ address: users[i % 500].mail, name: null }],
      cc: [],
      receivedDateTime: new Date(now.getTime() - (i % 600) * 60_000).toISOString(),
      itemClass: "IPM.Note",
    }),
  );
  const rounds = Number(process.argv[2] ?? 5);
  const N = 20_000;
  for (let r = 0; r < rounds; r++) {
    let next = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let i = next++; i < N; i = next++) await messageStatus(deps, TENANT, users[i % 500].id, bodies[i % 1000]);
      }),
    );
    const us = ((performance.now() - t0) * 1000) / N;
    const cpu = process.cpuUsage(c0);
    const cpuUs = (cpu.user + cpu.system) / N;
    process.stdout.write(`round ${r + 1}: ${cpuUs.toFixed(1)} µs CPU per call (${us.toFixed(1)} µs wall)\n`);
  }
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
