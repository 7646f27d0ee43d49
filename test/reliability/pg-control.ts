/**
 * Stopping and starting the test PostgreSQL server, for the database-outage scenario. `.ci/run` exports
 * TEST_PG_CTL (the prefix that runs a command as the postgres user, e.g. `su postgres -s /bin/sh -c`),
 * TEST_PGBIN, TEST_PGDATA, TEST_PGSOCK and TEST_PGPORT beside TEST_DATABASE_URL; without all of them the
 * scenario is skipped.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PgControl {
  adminUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function pgControlFromEnv(env: NodeJS.ProcessEnv = process.env): PgControl | null {
  const { TEST_DATABASE_URL: adminUrl, TEST_PG_CTL: prefix, TEST_PGBIN: bin, TEST_PGDATA: data, TEST_PGSOCK: sock, TEST_PGPORT: port } = env;
  if (!adminUrl || !prefix || !bin || !data || !sock || !port) return null;
  const [cmd, ...args] = prefix.trim().split(/\s+/);
  const pgCtl = async (what: string) => {
    await run(cmd, [...args, what], { timeout: 60_000 });
  };
  return {
    adminUrl,
    // -m fast: connections are cut (clients see 57P01), as in a crash or a failover.
    stop: () => pgCtl(`${bin}/pg_ctl -D ${data} -m fast -w stop`),
    // The log goes to a file: without -l the server would hold our stdout open.
    start: () => pgCtl(`${bin}/pg_ctl -D ${data} -l ${data}/reliability-restart.log -o '-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c max_connections=200' -w start`),
  };
}
