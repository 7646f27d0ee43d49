/**
 * Folders whose mail is never captured (capture rule 2). Graph well-known folder names are
 * locale-independent, so the sweep resolves these names to ids once a day per mailbox.
 * Deleted Items and Archive are deliberately absent: the spec does not exclude them.
 */
import { RSS_CONTAINER_CLASS, isClassOrSubclass } from "./message-class";

export const EXCLUDED_WELL_KNOWN_FOLDERS = [
  "clutter",
  "junkemail",
  "drafts",
  "conversationhistory",
  "outbox",
  "scheduled",
  "syncissues",
  "conflicts",
  "localfailures",
  "serverfailures",
  "searchfolders",
  "recoverableitemsdeletions",
] as const;
export type ExcludedWellKnownFolder = (typeof EXCLUDED_WELL_KNOWN_FOLDERS)[number];

/** Every Graph v1.0 well-known mail folder name (Graph v1.0 mailFolder: "Use well-known folder names"). */
export const WELL_KNOWN_FOLDERS = [
  "archive",
  "clutter",
  "conflicts",
  "conversationhistory",
  "deleteditems",
  "drafts",
  "inbox",
  "junkemail",
  "localfailures",
  "msgfolderroot",
  "outbox",
  "recoverableitemsdeletions",
  "scheduled",
  "searchfolders",
  "sentitems",
  "serverfailures",
  "syncissues",
] as const;

/** One folder on the path from the mailbox root to the message's folder. */
export interface FolderFacts {
  /** Graph well-known name when this folder is one (e.g. "inbox", "junkemail"), else null. */
  wellKnownName: string | null;
  displayName: string;
  /** PidTagContainerClass when known, e.g. "IPF.Note" or "IPF.Note.OutlookHomepage" (RSS Feeds). */
  containerClass: string | null;
}

/** Name of the excluded folder the message sits in (itself or an ancestor), or null when none. */
export function excludedFolderOf(path: ReadonlyArray<FolderFacts>): string | null {
  for (const f of path) {
    const wk = f.wellKnownName?.toLowerCase();
    if (wk && (EXCLUDED_WELL_KNOWN_FOLDERS as readonly string[]).includes(wk)) return wk;
    if (f.containerClass && isClassOrSubclass(f.containerClass, RSS_CONTAINER_CLASS)) return "rssfeeds";
  }
  return null;
}

/** Human names for excluded folders, used in reason sentences. */
export const FOLDER_LABELS: Record<string, string> = {
  clutter: "Clutter",
  junkemail: "Junk Email",
  drafts: "Drafts",
  conversationhistory: "Conversation History",
  outbox: "Outbox",
  scheduled: "Scheduled",
  syncissues: "Sync Issues",
  conflicts: "Conflicts",
  localfailures: "Local Failures",
  serverfailures: "Server Failures",
  searchfolders: "Search Folders",
  recoverableitemsdeletions: "Recoverable Items",
  rssfeeds: "RSS Feeds",
};

/**
 * The sentence for mail in an excluded folder (the rules' prediction and a stored decision say the
 * same). Drafts get their own: moving a draft would not help, sending it does.
 */
export function excludedFolderExplanation(folder: string): string {
  if (folder === "drafts") return "Mail in Drafts is not captured; this draft will be captured once it is sent.";
  return `Mail in ${FOLDER_LABELS[folder] ?? folder} is not captured. To capture this message, move it to another folder, such as Inbox.`;
}
