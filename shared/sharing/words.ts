/**
 * What sharing levels mean, in the words people read: one source for the pane (engagement view, the
 * sharing setting, the connect explanation) and the server (API descriptions), so they never disagree.
 */
import type { SharingLevel } from "../api/contract";

/** What teammates see at each level, as a noun phrase. */
export const SHARING_LEVEL_WHAT: Readonly<Record<SharingLevel, string>> = {
  metadata: "who and when",
  subject: "who, when and the subject",
  everything: "everything, including the message text",
};

/** A label for a choice of level. */
export const SHARING_LEVEL_LABEL: Readonly<Record<SharingLevel, string>> = {
  metadata: "Who and when",
  subject: "Who, when and subject",
  everything: "Everything",
};

/** "Dana shares only who and when." — why a teammate's engagement shows less than everything. */
export function sharesSentence(owner: string, level: SharingLevel): string {
  return level === "everything"
    ? `${owner} shares everything, including the message text.`
    : `${owner} shares only ${SHARING_LEVEL_WHAT[level]}.`;
}

/** Where consent is asked: what connecting shares with teammates, and why Mail.Send is requested. */
export function connectSharingNote(defaultLevel: SharingLevel, usersMayChange: boolean): string {
  return (
    `Teammates in your organization will see ${SHARING_LEVEL_WHAT[defaultLevel]} of the email captured from your mailbox` +
    (usersMayChange
      ? "; you can change this in the pane at any time."
      : ", as your administrator has set for everyone.") +
    " Sending mail as you (Mail.Send) is used only when you send an email from the CRM."
  );
}
