/**
 * Engagements in words: direction, whose mailbox, what a teammate's sharing level leaves out. Pure
 * functions, so the history list and the engagement view say the same thing the same way.
 */
import type { EngagementView } from "../../shared/api/contract";

export type SharingLevel = "metadata" | "subject" | "everything";

/** Each level in a few words (a choice's label) and what it means for teammates (its description). */
export const SHARING_WORDS: Record<SharingLevel, { label: string; shares: string }> = {
  metadata: {
    label: "Who and when",
    shares: "Teammates see who took part and when, not the subject or the text.",
  },
  subject: {
    label: "Who, when and the subject",
    shares: "Teammates see who took part, when and the subject, not the text.",
  },
  everything: {
    label: "Everything",
    shares: "Teammates see who took part, when, the subject and the text.",
  },
};

/** "shares only who and when": the verb phrase after a teammate's name. */
const SHARES_ONLY: Record<Exclude<SharingLevel, "everything">, string> = {
  metadata: "shares only who and when",
  subject: "shares only who, when and the subject",
};

export function isSharingLevel(v: unknown): v is SharingLevel {
  return v === "metadata" || v === "subject" || v === "everything";
}

/** What teammates may read of the engagement, and whose choice that is (when the server says). */
export interface Visibility {
  level: SharingLevel;
  /** The people whose sharing level decided it; empty when the server doesn't say. */
  sharedBy: string[];
}

type Mailbox = EngagementView["mailboxes"][number] & {
  displayName?: string | null;
  name?: string | null;
  email?: string | null;
};
type Shown = EngagementView & { visibility?: unknown; sharing?: unknown; level?: unknown };

/**
 * The level the engagement is shown at. The server's own word when it sends one; otherwise read from
 * what came: no subject means metadata, a subject without text means subject.
 */
export function visibilityOf(e: EngagementView, withBody: boolean): Visibility {
  const shown = e as Shown;
  const said = [shown.visibility, shown.sharing, shown.level].find(isSharingLevel);
  const level: SharingLevel =
    said ??
    (e.subject === null && e.bodyPreview === null
      ? "metadata"
      : withBody && (e.bodyText === null || e.bodyText === undefined) && e.bodyPreview === null
        ? "subject"
        : "everything");
  return { level, sharedBy: [] };
}

/** A mailbox's owner as a person reads it: "you", the teammate's name, never an id. */
export function mailboxOwner(m: EngagementView["mailboxes"][number], myUserId: string | null): string {
  if (myUserId && m.userId === myUserId) return "you";
  const b = m as Mailbox;
  return b.displayName || b.name || b.email || "a teammate";
}

/** "you and Dana Reyes", "Dana Reyes, Sam Lee and 2 teammates". */
export function mailboxOwners(e: EngagementView, myUserId: string | null): string[] {
  const named = e.mailboxes.map((m) => mailboxOwner(m, myUserId));
  const anonymous = named.filter((n) => n === "a teammate").length;
  const people = [...new Set(named.filter((n) => n !== "a teammate"))];
  // "you" first: it is the one the reader knows best.
  people.sort((a, b) => (a === "you" ? -1 : b === "you" ? 1 : a.localeCompare(b)));
  if (anonymous === 1) people.push("a teammate");
  else if (anonymous > 1) people.push(`${anonymous} teammates`);
  return people;
}

export function listWords(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** "Received" or "Sent", from the mailbox owner's side. */
export function directionWord(e: EngagementView): string {
  return e.direction === "inbound" ? "Received" : "Sent";
}

/** The sentence in place of what a teammate doesn't share: "Dana Reyes shares only who and when." */
export function hiddenSentence(v: Visibility, owners: string[]): string | null {
  if (v.level === "everything") return null;
  const others = owners.filter((o) => o !== "you");
  const who = v.sharedBy.length ? listWords(v.sharedBy) : others.length ? listWords(others) : "The teammate";
  const capital = who.charAt(0).toUpperCase() + who.slice(1);
  const plural = v.sharedBy.length > 1 || (!v.sharedBy.length && others.length > 1);
  const verb = SHARES_ONLY[v.level];
  return `${capital} ${plural ? verb.replace(/^shares/, "share") : verb} of this email.`;
}

/** Subject as a list shows it: the subject, a placeholder when none was written or none is shared. */
export function subjectLine(e: EngagementView, v: Visibility): string {
  if (v.level === "metadata") return "Subject not shared";
  return e.subject?.trim() ? e.subject : "(no subject)";
}
