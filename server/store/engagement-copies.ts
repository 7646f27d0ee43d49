/**
 * When two copies of a Message-ID are the same message. A Message-ID is chosen by whoever sends the
 * mail, so it alone proves nothing: a forged copy in one mailbox can carry the Message-ID of a real
 * message in another. Copies are one engagement only when they also agree on the facts every
 * recipient's copy of one message shares — the sender, the sent time and the from/to/cc addresses —
 * and otherwise are separate engagements with the same internetMessageId.
 *
 * The fingerprint (engagements.copy_fingerprint) makes (organization, internetMessageId, fingerprint)
 * unique, so the same copy stored twice (concurrently, or again) is still one row. It hashes the facts
 * of the copy that created the engagement; stored rows depend on it (migration 0006 computed it for the
 * rows that existed then), so changing what it hashes needs a migration that recomputes it.
 */
import { hash } from "node:crypto";

/**
 * How far apart the sent times of two copies of one message may be. Every recipient's copy carries
 * the Date header the sending server stamped, so copies usually agree to the second; the sender's own
 * Sent Items copy and copies that crossed another organization's relay may be stamped a little apart
 * (submission queueing, clock skew between servers). Two minutes covers that and still makes a forger
 * know when the real message was sent.
 */
export const SENT_TIME_TOLERANCE_MS = 2 * 60_000;

/** The facts of one copy that decide whether it is the same message as another. */
export interface CopyFacts {
  fromAddress: string | null;
  participants: readonly { address: string }[];
  sentAt: string | null;
  /** Used when a copy has no sent time. */
  messageTime: string;
}

const addressSet = (f: CopyFacts): string[] =>
  [...new Set(f.participants.map((p) => p.address.trim().toLowerCase()))].sort();
const sender = (f: CopyFacts): string => (f.fromAddress ?? "").trim().toLowerCase();

function sentTime(f: CopyFacts): number {
  return Date.parse(f.sentAt ?? f.messageTime);
}

/** Same sender, same participant set (ignoring case and order), sent times within SENT_TIME_TOLERANCE_MS. */
export function copiesAgree(a: CopyFacts, b: CopyFacts): boolean {
  if (sender(a) !== sender(b)) return false;
  const ta = sentTime(a);
  const tb = sentTime(b);
  if (!Number.isFinite(ta) || !Number.isFinite(tb) || Math.abs(ta - tb) > SENT_TIME_TOLERANCE_MS) return false;
  const pa = addressSet(a);
  const pb = addressSet(b);
  return pa.length === pb.length && pa.every((x, i) => x === pb[i]);
}

/** SHA-256 hex of the agreeing facts (sent time to the second): equal fingerprints mean agreeing copies. */
export function copyFingerprint(f: CopyFacts): string {
  const t = sentTime(f);
  const second = Number.isFinite(t) ? new Date(Math.floor(t / 1000) * 1000).toISOString() : "";
  return hash("sha256", JSON.stringify([sender(f), addressSet(f), second]), "hex");
}
