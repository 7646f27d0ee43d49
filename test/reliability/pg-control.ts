/**
 * A private PostgreSQL cluster for the database-outage scenario, which stops and restarts its server.
 * It must not be the shared test server: other suites use that one in parallel Jest workers, and an
 * outage there would fail them at random. `.ci/run` exports TEST_PG_CTL (the prefix that runs a command
 * as the postgres user, e.g. `su postgres -s /bin/sh -c`) and TEST_PGBIN (PostgreSQL's binaries);
 * without them the scenario is skipped.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "../support";

const run = promisify(execFile);

export interface PgControl {
  adminUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop the server for good and delete the cluster. */
  destroy(): Promise<void>;
}

export interface PgTools {
  prefix: string;
  bin: string;
}

export function pgToolsFromEnv(env: NodeJS.ProcessEnv = process.env): PgTools | null {
  const { TEST_PG_CTL: prefix, TEST_PGBIN: bin } = env;
  if (!prefix || !bin || !fs.existsSync(path.join(bin, "initdb"))) return null;
  return { prefix, bin };
}

/** initdb + start a throw-away cluster on a free loopback port, owned by the postgres user. */
export async function startPrivatePostgres(tools: PgTools): Promise<PgControl> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ec-pg-outage-"));
  fs.chmodSync(root, 0o755);
  const data = path.join(root, "data");
  const sock = path.join(root, "sock");
  fs.mkdirSync(data);
  fs.mkdirSync(sock);
  const [cmd, ...args] = tools.prefix.trim().split(/\s+/);
  const asPostgres = async (what: string) => {
    await run(cmd, [...args, what], { timeout: 60_000 });
  };
  await run("chown", ["postgres:postgres", data, sock]);
  fs.chmodSync(data, 0o700);
  await asPostgres(`${tools.bin}/initdb -D ${data} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8`);
  const port = await freePort();
  // -m fast: connections are cut (clients see 57P01), as in a crash or a failover. The log goes to a
  // file: without -l the server would hold our stdout open.
  const start = () =>
    asPostgres(
      `${tools.bin}/pg_ctl -D ${data} -l ${data}/server.log -o '-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c max_connections=100' -w start`,
    );
  const stop = () => asPostgres(`${tools.bin}/pg_ctl -D ${data} -m fast -w stop`);
  await start();
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      await stop().catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
