/**
 * Reason codes and the sentences users read. The same texts serve the sweep's audit trail,
 * the pane's "Not captured" card and docs/capture-rules.md, so they live in one place.
 */
export const REASON_CODES = [
  "not_an_email",
  "excluded_folder",
  "draft",
  "before_connection",
  "user_not_participant",
  "blocked",
  "no_tracked_contact",
  "contact_tracked_too_late",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface ReasonText {
  /** Short label for lists and badges. */
  title: string;
  /** What the user can do about it, in general terms (docs and tooltips). */
  remedy: string;
}

export const REASON_TEXTS: Record<ReasonCode, ReasonText> = {
  not_an_email: {
    title: "Not an email",
    remedy: "Only email is captured; meeting requests, chats, RSS items and other Outlook items never are.",
  },
  excluded_folder: {
    title: "In a folder that isn't captured",
    remedy:
      "Mail in Junk Email, Drafts, Outbox, Clutter, Conversation History, RSS Feeds and Outlook's other system folders is not captured: move the message to another folder (a draft is captured once it is sent).",
  },
  draft: { title: "Draft", remedy: "Send it; sent mail is captured." },
  before_connection: {
    title: "Before the capture window",
    remedy: "Only mail from 24 hours before you connected onwards is captured.",
  },
  user_not_participant: {
    title: "You are not on it",
    remedy: "Being on it by Bcc or through a distribution list doesn't count.",
  },
  blocked: { title: "Blocked participant", remedy: "Remove the address or domain from the blocklist." },
  no_tracked_contact: {
    title: "No tracked contact",
    remedy: "Mail is captured only when a tracked contact is its sender or a To or Cc recipient.",
  },
  contact_tracked_too_late: {
    title: "Contact tracked too late",
    remedy: "Tracking someone captures their mail from the day before onwards, not older mail.",
  },
};

/**
 * Exclusions the user can undo (track a contact, remove a block): a later sweep inside the window
 * decides them again. The status call and the pane both read this.
 */
export const REVISABLE_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>(["no_tracked_contact", "blocked"]);

/** What would change the outcome, when something would. */
export type CaptureAction =
  { kind: "track_contact"; address: string; label: string } | { kind: "unblock"; entry: string; label: string };
