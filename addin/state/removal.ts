/** Removing engagements already captured (untrack or block with removal), in the pane's words. */
import type { RemovalPreview } from "../../shared/api/contract";

export const engagements = (n: number) => (n === 1 ? "1 engagement" : `${n} engagements`);

/** What stays, and how far removal reaches, in the pane's words. */
export function removalNotes(p: RemovalPreview): string[] {
  const notes = [
    p.reach === "organization"
      ? "As an administrator, you remove them for your whole organization, whichever mailbox they were captured from."
      : "Only engagements captured from your mailbox alone are removed; your colleagues' are not touched.",
  ];
  if (p.keptShared > 0)
    notes.push(
      `${engagements(p.keptShared)} captured from someone else's mailbox too ${p.keptShared === 1 ? "stays" : "stay"}.`,
    );
  if (p.keptOtherContact > 0)
    notes.push(
      `${engagements(p.keptOtherContact)} with another tracked contact ${p.keptOtherContact === 1 ? "stays" : "stay"}.`,
    );
  notes.push("Removing deletes their content; only a record that they were removed is kept.");
  return notes;
}

/** The sentence announced after the action: how many were removed. */
export function removedSentence(n: number): string {
  return n === 0 ? "No engagements were removed." : `Removed ${engagements(n)} already captured.`;
}
