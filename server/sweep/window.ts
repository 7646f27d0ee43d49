/**
 * The sweep window (pure). Every sweep looks back at least `windowHours` (so a contact tracked up to
 * 24 hours after a message still catches it on a later sweep) and, after an outage, back to the end
 * of the last successful window minus an overlap (so nothing that arrived while sweeps failed is
 * lost). It never reaches before the 24-hour backfill that precedes the connection.
 */
const HOUR_MS = 3600_000;
const MINUTE_MS = 60_000;

export interface WindowInput {
  now: Date;
  windowHours: number;
  overlapMinutes: number;
  /** windowEnd of the last successful sweep; null when there was none. */
  lastSuccessWindowEnd: Date | string | null;
  /** When the mailbox was connected; null only for data that predates the column. */
  connectedAt: Date | string | null;
}

export interface SweepWindow {
  start: Date;
  end: Date;
}

const ms = (t: Date | string) => (t instanceof Date ? t.getTime() : Date.parse(t));

export function computeWindow(input: WindowInput): SweepWindow {
  const end = input.now.getTime();
  const floor =
    input.connectedAt != null && Number.isFinite(ms(input.connectedAt)) ? ms(input.connectedAt) - 24 * HOUR_MS : null;
  let start = end - input.windowHours * HOUR_MS;
  const last = input.lastSuccessWindowEnd != null ? ms(input.lastSuccessWindowEnd) : NaN;
  if (Number.isFinite(last)) {
    start = Math.min(start, last - input.overlapMinutes * MINUTE_MS);
  } else if (floor !== null) {
    // Never swept successfully: the whole backfill since connecting is still owed (a first sweep
    // that failed for a day must not shrink the 24 hours before connect).
    start = Math.min(start, floor);
  }
  if (floor !== null) start = Math.max(start, floor);
  // A clock that moved backwards (or a connectedAt in the future) must not give an inverted window.
  if (start > end) start = end;
  return { start: new Date(start), end: new Date(end) };
}
