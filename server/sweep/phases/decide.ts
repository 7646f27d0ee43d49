/** Decide phase: every listed message of a page decided by the rules, and counted. */
import type { CaptureDecision, ReasonCode } from "../../../shared/capture";
import { messageKey } from "../../store/capture-decisions";
import { decide, type RuleContext } from "../decision";
import type { FolderMap } from "../folders";
import type { ListedMessage } from "../message-facts";

export interface SweepCounters {
  listed: number;
  decided: number;
  stored: number;
  captured: number;
  /** Captured now and not captured from this mailbox before (a re-read after a reconnect finds the old ones again). */
  newlyCaptured: number;
  excluded: number;
  byReason: Partial<Record<ReasonCode, number>>;
  /** $batch items re-sent after throttling (on top of the Graph client's own retries). */
  itemRetries: number;
}

export function newCounters(): SweepCounters {
  return {
    listed: 0,
    decided: 0,
    stored: 0,
    captured: 0,
    newlyCaptured: 0,
    excluded: 0,
    byReason: {},
    itemRetries: 0,
  };
}

export interface DecidedMessage {
  m: ListedMessage;
  d: CaptureDecision;
  /** messageKey(internetMessageId). */
  key: string;
}

export function decidePage(
  page: readonly ListedMessage[],
  folders: FolderMap,
  ctx: RuleContext,
  now: Date,
  c: SweepCounters,
): DecidedMessage[] {
  c.listed += page.length;
  const decided = page.map((m) => ({ m, d: decide(m, folders, ctx, now), key: messageKey(m.internetMessageId) }));
  c.decided += decided.length;
  for (const { d } of decided) {
    if (d.outcome === "captured") c.captured++;
    else {
      c.excluded++;
      c.byReason[d.reason] = (c.byReason[d.reason] ?? 0) + 1;
    }
  }
  return decided;
}
