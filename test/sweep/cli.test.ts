/**
 * `npm run sweep -- --user <email>` as a separate process against the in-test emulator: the configured
 * database and identity, the real connect service for the token, a progress display, exit codes.
 */
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { openTokenCache, sealTokenCache } from "../../server/identity/msal-client";
import { createTokenCipher } from "../../server/identity/token-crypto";
import { CLIENT_ID, CLIENT_SECRET, PUBLIC_URL } from "../connect/harness";
import { DANA, startSweepHarness, type SweepHarness } from "./harness";

jest.setTimeout(60_000);

let s: SweepHarness;
afterAll(async () => {
  await s?.close();
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = path.join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
  return new Promise((resolve) => {
    // Asynchronous on purpose: the emulator answering the CLI lives in this process.
    execFile(
      tsx,
      [path.join(__dirname, "..", "..", "server", "cli", "sweep.ts"), ...args],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 50_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

test("sweeps one mailbox from the command line with a progress display", async () => {
  s = await startSweepHarness();
  s.setTime(new Date()); // the CLI runs on the real clock
  const userId = await s.connect(DANA);
  await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
  const st = s.h.emulator.state;
  st.addMessage(DANA.id, {
    from: "alice@acme.com",
    to: ["dana@contoso.com"],
    subject: "Hello",
    body: "Hi",
    receivedDateTime: "-2h",
    internetMessageId: "<cli-1@acme.com>",
  });
  st.addMessage(DANA.id, {
    from: "stranger@example.net",
    to: ["dana@contoso.com"],
    receivedDateTime: "-1h",
    internetMessageId: "<cli-2@example.net>",
  });

  // The CLI reads the configured key: re-seal the stored MSAL cache under a key we can hand it.
  const key = crypto.randomBytes(32);
  const row = await s.h.db
    .selectFrom("mailboxConnections")
    .selectAll()
    .where("userId", "=", userId)
    .executeTakeFirstOrThrow();
  const plain = openTokenCache(s.h.cipher, s.orgId, userId, row.tokenCache!);
  await s.h.db
    .updateTable("mailboxConnections")
    .set({ tokenCache: sealTokenCache(createTokenCipher(key), s.orgId, userId, plain) })
    .where("userId", "=", userId)
    .execute();
  const caFile = path.join(s.h.dir, "emulator-ca.pem");
  fs.writeFileSync(caFile, s.h.emulator.caPem);
  const env = {
    ENTRA_CLIENT_ID: CLIENT_ID,
    ENTRA_CLIENT_SECRET: CLIENT_SECRET,
    ENTRA_TENANT: "organizations",
    ENTRA_AUTHORITY_HOST: s.h.emulator.url,
    GRAPH_BASE_URL: s.h.emulator.url,
    PUBLIC_URL,
    DATABASE_URL: s.h.dbFile,
    DATA_DIR: s.h.dir,
    TOKEN_ENCRYPTION_KEY: key.toString("base64"),
  };

  const ok = await run(["--user", "DANA@contoso.com", "--ca", caFile], env);
  expect(ok.stderr).toBe("");
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/listed +2 +decided +2 +stored +2/);
  expect(ok.stdout).toMatch(/Sweep succeeded: listed 2, captured 1, excluded 1 \(no_tracked_contact 1\)/);
  const sweep = await s.h.db.selectFrom("sweeps").selectAll().where("userId", "=", userId).executeTakeFirstOrThrow();
  expect(sweep).toMatchObject({ trigger: "cli", status: "succeeded", captured: 1 });
  expect(await s.engagementIds()).toEqual(["<cli-1@acme.com>"]);

  const unknown = await run(["--user", "nobody@contoso.com", "--ca", caFile], env);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/No user with the address nobody@contoso.com/);
  const usage = await run([], env);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/usage: npm run sweep/);
});
