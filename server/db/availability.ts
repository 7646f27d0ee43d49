/**
 * Is this error the database being out of reach (stopped, restarting, refusing connections, busy) rather
 * than a bug or a bad request? The API answers those with 503 and a clear JSON error instead of a 500,
 * and keeps running: the pg pool (or SQLite's busy wait) recovers by itself once the database is back.
 * Only the error itself is inspected, never its `cause`: a failed outbound fetch (Graph) is a TypeError
 * whose cause may be ECONNREFUSED too, and that is not the database.
 */

/** Node socket errors pg raises when it cannot reach or lost the server. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);
/** SQLSTATE: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections; class 08 connection exceptions. */
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
/** SQLite: another writer holds the lock past busy_timeout, or the file cannot be opened or read. */
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR)/;
/** pg's own messages for a connection lost or never made (they carry no code). */
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== "object") return false;
  if (err instanceof TypeError) return false; // fetch failures and programming errors
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (
    typeof e.code === "string" &&
    (SOCKET_CODES.has(e.code) || SQLSTATES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code) || SQLITE_CODES.test(e.code))
  )
    return true;
  if (typeof e.message === "string" && PG_MESSAGES.test(e.message)) return true;
  // Node 20 tries every address of "localhost" and reports an AggregateError of ECONNREFUSED.
  if (Array.isArray(e.errors) && e.errors.length && e.errors.every((x) => isDatabaseUnavailable(x))) return true;
  return false;
}
