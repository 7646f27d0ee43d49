/**
 * Engagements in words: direction, whose mailbox, what a teammate's sharing level leaves out. Pure
 * functions, so the history list and the engagement view say the same thing the same way.
 */
import type { EngagementMailbox, EngagementView, SharingLevel } from "../../shared/api/contract";
import { SHARING_LEVEL_LABEL, SHARING_LEVEL_WHAT, sharesSentence } from "../../shared/sharing/words";

export type { SharingLevel };

/**
 * Each level's label (shared with the server: shared/sharing/words.ts) and what it means for teammates, said
 * with what it leaves out (the setting's description).
 */
export const SHARING_WORDS: Record<SharingLevel, { label: string; shares: string }> = {
  metadata: {
    label: SHARING_LEVEL_LABEL.metadata,
    shares: "Teammates see who took part and when, not the subject or the text.",
  },
  subject: {
    label: SHARING_LEVEL_LABEL.subject,
    shares: "Teammates see who took part, when and the subject, not the text.",
  },
  everything: {
    label: SHARING_LEVEL_LABEL.everything,
    shares: "Teammates see who took part, when, the subject and the text.",
  },
};

/** What the reader may see of the engagement, and whose sharing level decided it. */
export interface Visibility {
  level: SharingLevel;
  /** The teammates whose level the engagement is shown at; empty for the reader's own. */
  sharedBy: string[];
}

export function visibilityOf(e: EngagementView): Visibility {
  const { level, because } = e.visibility;
  if (because !== "shared" || level === "everything") return { level, sharedBy: [] };
  return { level, sharedBy: [...new Set(e.mailboxes.filter((m) => m.sharing === level).map((m) => mailboxOwner(m)))] };
}

/** A mailbox's owner as a person reads it: "you", the teammate's name or address, never an id. */
export function mailboxOwner(m: EngagementMailbox): string {
  if (m.isCaller) return "you";
  return m.displayName?.trim() || m.email;
}

/** "you", "Dana Reyes": the mailboxes it was found in, the reader's own first. */
export function mailboxOwners(e: EngagementView): string[] {
  const people = [...new Set(e.mailboxes.map(mailboxOwner))];
  return people.sort((a, b) => (a === "you" ? -1 : b === "you" ? 1 : a.localeCompare(b)));
}

/** "your mailbox", "Dana Kim's mailbox", "your and Lee Park's mailboxes". */
export function mailboxWords(owners: string[]): string {
  if (!owners.length) return "";
  const whose = owners.map((o) => (o === "you" ? "your" : `${o}'s`));
  return `${listWords(whose)} mailbox${owners.length > 1 ? "es" : ""}`;
}

export function listWords(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** "Received" or "Sent", from the mailbox owner's side. */
export function directionWord(e: EngagementView): string {
  return e.direction === "inbound" ? "Received" : "Sent";
}

/** The sentence in place of what a teammate doesn't share: "Dana Kim shares only who and when." */
export function hiddenSentence(v: Visibility): string | null {
  if (v.level === "everything") return null;
  if (v.sharedBy.length > 1) return `${listWords(v.sharedBy)} share only ${SHARING_LEVEL_WHAT[v.level]}.`;
  return sharesSentence(v.sharedBy[0] ?? "The teammate", v.level);
}

/** Subject as a list shows it: the subject, a placeholder when none was written or none is shared. */
export function subjectLine(e: EngagementView, v: Visibility): string {
  if (v.level === "metadata") return "Subject not shared";
  return e.subject?.trim() ? e.subject : "(no subject)";
}
