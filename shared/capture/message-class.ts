/**
 * Outlook message classes (PidTagMessageClass, Graph extended property "String 0x001A").
 * Only IPM.Note and its subclasses are email. Classes compare case-insensitively and a
 * subclass extends its parent with a dot: "IPM.Note.SMIME" is a note, "IPM.Notes" is not.
 */
export const MESSAGE_CLASS_PROPERTY_ID = "String 0x001A";
export const CONTAINER_CLASS_PROPERTY_ID = "String 0x3613";
export const RSS_CONTAINER_CLASS = "IPF.Note.OutlookHomepage";
export const EVENT_MESSAGE_ODATA_TYPE = "#microsoft.graph.eventMessage";

export function isClassOrSubclass(value: string, parent: string): boolean {
  const v = value.trim().toLowerCase();
  const p = parent.toLowerCase();
  return v === p || v.startsWith(`${p}.`);
}

/**
 * Is this item an email? `messageClass` null means Graph did not return the property
 * (it is absent when unset); we then fall back to the OData type, where `eventMessage`
 * is meeting traffic and a plain `message` is taken to be an ordinary note.
 */
export function isEmail(messageClass: string | null | undefined, odataType?: string | null): boolean {
  if (odataType && odataType.toLowerCase() === EVENT_MESSAGE_ODATA_TYPE.toLowerCase()) return false;
  if (messageClass == null || messageClass.trim() === "") return true;
  return isClassOrSubclass(messageClass, "IPM.Note");
}

/** Outlook item kinds in words, most specific class first: people read "a meeting request", not a message class. */
const ITEM_KINDS: ReadonlyArray<readonly [string, string]> = [
  ["IPM.Schedule.Meeting.Request", "a meeting request"],
  ["IPM.Schedule.Meeting.Canceled", "a meeting cancellation"],
  ["IPM.Schedule.Meeting.Resp", "a reply to a meeting request"],
  ["IPM.Schedule.Meeting", "a meeting notice"],
  ["IPM.Appointment", "a calendar item"],
  ["IPM.Task", "a task"],
  ["IPM.TaskRequest", "a task request"],
  ["IPM.Contact", "a contact card"],
  ["IPM.DistList", "a contact group"],
  ["IPM.StickyNote", "a note"],
  ["IPM.Activity", "a journal entry"],
  ["IPM.Post.RSS", "an RSS item"],
  ["IPM.SkypeTeams.Message", "a Teams chat message"],
];

/** What a non-email item is, in words ("a meeting request"); meeting traffic when Graph gave no class. */
export function describeItemKind(messageClass: string | null | undefined): string {
  if (messageClass == null || messageClass.trim() === "") return "a meeting request or reply";
  const kind = ITEM_KINDS.find(([cls]) => isClassOrSubclass(messageClass, cls));
  return kind ? kind[1] : "an Outlook item that isn't an email";
}
