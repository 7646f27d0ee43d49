/**
 * Whether a sweep job's worker is alive, without waiting for the job's deadline: while a worker
 * sweeps a mailbox it holds a PostgreSQL session advisory lock for it on a connection of its own.
 * The server drops the lock the moment that connection goes — the worker was killed, its machine
 * lost, its process ended — so an API process that sees a running sweep row with no lock held knows
 * the sweep is dead and says so ("waiting for a worker to take over") instead of showing it running.
 *
 * The lock only informs; it never hands a job back: a worker whose lock connection dropped while it
 * still runs must not see its job given to another worker. pg-boss's deadline stays the one rule.
 */
import pg from "pg";

/** The advisory lock space of sweep liveness (first key); the second is the mailbox's hash. */
const LOCK_SPACE = 0x5ec0;

/** Both sides compute the mailbox's key in SQL, the same way (hashtext, made non-negative for pg_locks' oid). */
const KEY_SQL = "(hashtext($2) & 2147483647)";

export interface SweepLiveness {
  /** Hold this mailbox's lock until the returned release is called; null when another session holds it. */
  hold(userId: string): Promise<(() => Promise<void>) | null>;
  close(): Promise<void>;
}

export function createSweepLiveness(connectionString: string, maxConnections: number): SweepLiveness {
  const pool = new pg.Pool({
    connectionString,
    max: maxConnections,
    application_name: "engagement-capture-sweep-lock",
  });
  // A lost lock connection only makes the sweep look dead to API processes; it must not end the worker.
  pool.on("error", () => undefined);
  return {
    async hold(userId) {
      const client = await pool.connect();
      // A checked-out client reports a dropped connection (database restart) as an 'error' event, which
      // unheard would end the process; the lock is gone with the connection, which is all that matters.
      const ignore = () => undefined;
      client.on("error", ignore);
      const done = (destroy: boolean) => {
        client.removeListener("error", ignore);
        client.release(destroy);
      };
      try {
        const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock($1, ${KEY_SQL}) AS ok`, [
          LOCK_SPACE,
          userId,
        ]);
        if (!rows[0]?.ok) {
          done(false);
          return null;
        }
      } catch (err) {
        done(true);
        throw err;
      }
      return async () => {
        try {
          await client.query(`SELECT pg_advisory_unlock($1, ${KEY_SQL})`, [LOCK_SPACE, userId]);
          done(false);
        } catch {
          done(true); // a broken connection has dropped the lock anyway
        }
      };
    },
    close: () => pool.end(),
  };
}

/** Whether any session holds this mailbox's sweep lock (run on any connection to the database). */
export const IS_SWEEP_HELD_SQL = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND classid = $1::int::oid AND objid = ${KEY_SQL}::oid AND objsubid = 2) AS held`;
export const LIVENESS_LOCK_SPACE = LOCK_SPACE;
