/**
 * Opening a page in an Office dialog (Connect's consent, the sign-in fallback), or in a popup
 * window outside Office. Office requires the dialog's first page to be on the pane's own origin,
 * so external URLs go through dialog.html?action=connect, which forwards after checking them.
 */
import { officeAsync } from "./async";
import { isInOutlook } from "./host";

export interface DialogHandlers {
  /** A message the dialog's page sent with Office.context.ui.messageParent (or postMessage in a popup). */
  onMessage?: (message: string) => void;
  /** The dialog went away: closed by the user, or navigation failed. */
  onClosed?: (code: number | null) => void;
}

export interface OpenedDialog {
  close(): void;
}

/** Office's DialogEventReceived codes: 12006 closed by the user; 12002/12003 navigation problems. */
export const DIALOG_CLOSED = 12006;

export async function openDialog(
  url: string,
  handlers: DialogHandlers,
  size = { height: 60, width: 30 },
): Promise<OpenedDialog> {
  if (isInOutlook() && Office.context.ui?.displayDialogAsync) {
    const dialog = await officeAsync<Office.Dialog>((cb) =>
      Office.context.ui.displayDialogAsync(
        url,
        { height: size.height, width: size.width, promptBeforeOpen: false },
        cb,
      ),
    );
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      try {
        dialog.close();
      } catch {
        /* already gone */
      }
    };
    dialog.addEventHandler(Office.EventType.DialogMessageReceived, (arg) => {
      if ("message" in arg) handlers.onMessage?.(arg.message);
    });
    dialog.addEventHandler(Office.EventType.DialogEventReceived, (arg) => {
      open = false;
      handlers.onClosed?.("error" in arg ? arg.error : null);
    });
    return { close };
  }
  return openPopup(url, handlers, size);
}

/** Outside Office: a popup window, watched until it closes. */
function openPopup(url: string, handlers: DialogHandlers, size: { height: number; width: number }): OpenedDialog {
  const w = Math.round((window.screen.availWidth || 1024) * (size.width / 100));
  const h = Math.round((window.screen.availHeight || 768) * (size.height / 100));
  const popup = window.open(url, "_blank", `popup=yes,width=${w},height=${h}`);
  if (!popup) {
    handlers.onClosed?.(null);
    return { close: () => {} };
  }
  const onMessage = (e: MessageEvent) => {
    if (e.source === popup && typeof e.data === "string") handlers.onMessage?.(e.data);
  };
  window.addEventListener("message", onMessage);
  let done = false;
  const finish = (code: number | null) => {
    if (done) return;
    done = true;
    clearInterval(timer);
    window.removeEventListener("message", onMessage);
    handlers.onClosed?.(code);
  };
  const timer = setInterval(() => {
    if (popup.closed) finish(DIALOG_CLOSED);
  }, 500);
  return {
    close: () => {
      try {
        popup.close();
      } catch {
        /* cross-origin or gone */
      }
      finish(DIALOG_CLOSED);
    },
  };
}

/** Same-origin trampoline URL for a page on another origin (see dialog.html). */
export function dialogTrampolineUrl(
  target: string,
  origin = window.location.origin,
  basePath = currentBasePath(),
): string {
  return `${origin}${basePath}dialog.html?action=connect&url=${encodeURIComponent(target)}`;
}

/** The directory the pane is served from ("/" or "/some/path/"), so dialog.html is found beside it. */
export function currentBasePath(): string {
  return window.location.pathname.replace(/[^/]*$/, "");
}
