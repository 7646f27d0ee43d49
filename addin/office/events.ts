/** ItemChanged: a pinned pane stays open while the user selects other messages (Mailbox 1.5). */
import { officeAsync } from "./async";
import { isInOutlook } from "./host";

/** Subscribes; resolves to an unsubscribe function. Outside Outlook it is a no-op. */
export async function onItemChanged(handler: () => void): Promise<() => Promise<void>> {
  if (!isInOutlook() || typeof Office.context.mailbox.addHandlerAsync !== "function") return async () => {};
  await officeAsync<void>((cb) => Office.context.mailbox.addHandlerAsync(Office.EventType.ItemChanged, handler, cb));
  return async () => {
    await officeAsync<void>((cb) => Office.context.mailbox.removeHandlerAsync(Office.EventType.ItemChanged, cb)).catch(
      () => undefined,
    );
  };
}
