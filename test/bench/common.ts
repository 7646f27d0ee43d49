/**
 * Shared pieces of the benchmark harness (`npm run bench`, test/bench/run.ts): the machine it ran on,
 * the emulated tenant, how mailboxes are seeded, and the bench-only token source.
 *
 * Bench-only fast path (documented in docs/benchmarks.md): items 1, 2 and 4 do not run the connect flow
 * for every mailbox. They provision the user and an active mailbox connection with the product's own
 * store functions (provisionUser, saveConnection, createContact) and give the sweep a GraphTokenSource
 * whose tokens the emulator mints exactly as its token endpoint would (`state.mintAccessToken`). Reasons:
 * item 1 runs on a manual clock (msal-node checks token expiry against the real Date, which a script
 * cannot fake the way the jest harnesses do), and item 2 connects up to 5,000 mailboxes. Item 3 uses the
 * real connect flow (test/distributed/harness.ts).
 */
import os from "node:os";
import type { Kysely } from "kysely";
import type { DatasetUser } from "../../emulator/dataset";
import type { EmulatorState } from "../../emulator";
import { loadConfig, type Config } from "../../server/config";
import type { Database } from "../../server/db/schema";
import type { GraphTokenSource } from "../../server/identity/errors";
import { createContact } from "../../server/store/contacts";
import { saveConnection } from "../../server/store/mailbox-connections";
import { provisionUser } from "../../server/store/users";
import { appDataset, CLIENT_ID, CLIENT_SECRET, productEnv, PUBLIC_URL, TENANT } from "../connect/harness";

export { appDataset, CLIENT_ID, CLIENT_SECRET, productEnv, PUBLIC_URL, TENANT };

export const GRAPH_SCOPES = ["User.Read", "Mail.Read", "Mail.Send", "offline_access"]; // what the product is granted (no Mail.ReadWrite)

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function productConfig(env: Record<string, string>): Config {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`bench config: ${loaded.problems.join("; ")}`);
  return loaded.config;
}

/** The product's defaults (sweep interval, window, overlap, concurrency) as `npm start` would use them. */
export function productDefaults(): Config["sweep"] {
  return productConfig(productEnv("https://localhost:1", os.tmpdir())).sweep;
}

/** A Graph token for this mailbox, minted by the emulator as its token endpoint would (bench-only fast path). */
export function mintGraphToken(state: EmulatorState, oid: string): string {
  return state.mintAccessToken({
    userId: oid,
    clientId: CLIENT_ID,
    audience: "https://graph.microsoft.com",
    scopes: GRAPH_SCOPES,
  });
}

/** An API token (the pane's) for this user. */
export function mintApiToken(state: EmulatorState, oid: string): string {
  return state.mintAccessToken({ userId: oid, clientId: CLIENT_ID, audience: CLIENT_ID, scopes: ["access_as_user"] });
}

/** GraphTokenSource from a function oid → token, for product user ids seeded by seedMailboxes. */
export function tokenSource(
  oidOfUserId: Map<string, string>,
  mint: (oid: string) => Promise<string> | string,
): GraphTokenSource {
  return {
    async getGraphAccessToken(_organizationId, userId) {
      const oid = oidOfUserId.get(userId);
      if (!oid) throw new Error(`bench: unknown user ${userId}`);
      return mint(oid);
    },
  };
}

/**
 * Users and active connections as the connect flow leaves them (minus the MSAL cache, see the file comment):
 * returns product user id → oid.
 */
export async function seedMailboxes(
  db: Kysely<Database>,
  users: readonly Pick<DatasetUser, "id" | "mail" | "displayName">[],
  now: Date,
): Promise<Map<string, string>> {
  const oidOfUserId = new Map<string, string>();
  for (const u of users) {
    const user = await provisionUser(
      db,
      { organizationId: TENANT, oid: u.id, email: u.mail!, displayName: u.displayName },
      now,
    );
    await saveConnection(db, TENANT, user.id, { homeAccountId: null, tokenCache: null }, now);
    oidOfUserId.set(user.id, u.id);
  }
  return oidOfUserId;
}

/** Tracked contacts, created a day before `now` (so rule 7 never excludes the generated mail). */
export async function seedContacts(db: Kysely<Database>, emails: readonly string[], now: Date): Promise<void> {
  const dayAgo = new Date(now.getTime() - 86_400_000);
  for (const email of emails) await createContact(db, TENANT, { email }, dayAgo);
}

export const round = (x: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
