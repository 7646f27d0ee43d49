/**
 * Every process of a distributed deployment must run the queue with the same settings: a job's
 * deadline is set by whichever process enqueues it, and any process may run the maintenance that
 * takes back a dead worker's job. A process that starts with other settings than the processes
 * already running refuses to start, naming the setting, instead of quietly giving some jobs another
 * deadline.
 *
 * The running processes' settings are read from PostgreSQL itself: each queue connection carries
 * them in its application_name, which the server drops when the process goes away (killed or not).
 * So there is no stored record to go stale: once every process has stopped, the next one to start
 * may bring new settings, and the processes started after it must then agree with it.
 */
import { randomBytes } from "node:crypto";
import type PgBoss from "pg-boss";
import type { QueueSettings } from "./queue";

const PREFIX = "ec-queue";
/** This process among all machines' processes (a pid alone repeats across machines). */
const PROCESS_ID = randomBytes(4).toString("hex");

/** The compared settings, and the variable an operator sets for each. */
const SETTINGS: { key: keyof QueueSettings; tag: string; variable: string }[] = [
  { key: "expireInSeconds", tag: "e", variable: "SWEEP_JOB_EXPIRE_SECONDS" },
  { key: "maintenanceIntervalSeconds", tag: "m", variable: "QUEUE_MAINTENANCE_SECONDS" },
  { key: "retryLimit", tag: "r", variable: "the retry limit" },
  { key: "retryDelaySeconds", tag: "d", variable: "the retry delay" },
];

/** application_name of this process's queue connections: `ec-queue/<process> e900 m60 r3 d1` (< 64 bytes). */
export function settingsTag(s: QueueSettings, processId: string = PROCESS_ID): string {
  return `${PREFIX}/${processId} ${SETTINGS.map((x) => `${x.tag}${s[x.key]}`).join(" ")}`;
}

/** The settings an application_name carries, or null when it is not a queue connection's. */
export function parseSettingsTag(
  name: string,
): { processId: string; values: Partial<Record<keyof QueueSettings, number>> } | null {
  const m = /^ec-queue\/([0-9a-f]+) (.*)$/.exec(name);
  if (!m) return null;
  const values: Partial<Record<keyof QueueSettings, number>> = {};
  for (const part of m[2].split(" ")) {
    const setting = SETTINGS.find((x) => part.startsWith(x.tag) && /^\d+$/.test(part.slice(x.tag.length)));
    if (setting) values[setting.key] = Number(part.slice(setting.tag.length));
  }
  return { processId: m[1], values };
}

export class QueueSettingsConflictError extends Error {
  override name = "QueueSettingsConflictError";
}

/** The first difference between these settings and a running process's, as an operator reads it. */
export function settingsConflict(
  mine: QueueSettings,
  theirs: Partial<Record<keyof QueueSettings, number>>,
): string | null {
  for (const x of SETTINGS) {
    const other = theirs[x.key];
    if (other !== undefined && other !== mine[x.key]) {
      return (
        `${x.variable} is ${mine[x.key]} here but ${other} in a process already running against this database; ` +
        "every API process and worker must use the same queue settings (set the same value everywhere, or stop them all and restart them with the new one)"
      );
    }
  }
  return null;
}

/**
 * Throws QueueSettingsConflictError when another live process runs the queue with other
 * settings. Queues of the same process (tests) are not compared: they share its lifetime.
 */
export async function refuseConflictingSettings(boss: PgBoss, mine: QueueSettings): Promise<void> {
  const { rows } = await boss
    .getDb()
    .executeSql(
      `SELECT DISTINCT application_name AS name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1`,
      [`${PREFIX}/%`],
    );
  for (const { name } of rows as { name: string }[]) {
    const other = parseSettingsTag(name);
    if (!other || other.processId === PROCESS_ID) continue;
    const conflict = settingsConflict(mine, other.values);
    if (conflict) throw new QueueSettingsConflictError(conflict);
  }
}
