/**
 * office.js stand-in for the browser preview (/taskpane.html?preview=1 loads this instead of
 * office.js). Just enough of Office for the pane: onReady, the selected message as
 * context.mailbox.item, ItemChanged, requirement sets (no NestedAppAuth, no DialogApi → standard
 * MSAL with a popup), dialogs as popup windows, the theme, diagnostics. The preview page (parent
 * frame) says which message is selected with postMessage.
 */
import type { PreviewEvent, PreviewMessage } from "./types";

type Handler = (arg: { type: string }) => void;
type Callback<T> = ((r: { status: string; value: T; error?: { code: number; message: string } }) => void) | undefined;

const params = new URLSearchParams(window.location.search);
const user = params.get("user") ?? "";
const dark = params.get("theme") === "dark";
const itemChanged: Handler[] = [];

const ok = <T>(cb: Callback<T>, value: T) => cb?.({ status: "succeeded", value });

export function toOfficeItem(m: PreviewMessage) {
  const addr = (a: { address: string; name: string | null }) => ({
    emailAddress: a.address,
    displayName: a.name ?? a.address,
    recipientType: "user",
  });
  return {
    itemType: "message",
    itemId: m.restItemId,
    internetMessageId: m.internetMessageId,
    subject: m.subject,
    from: addr(m.from),
    sender: addr(m.from),
    to: m.to.map(addr),
    cc: m.cc.map(addr),
    dateTimeCreated: new Date(m.dateTimeCreated),
    itemClass: m.itemClass,
  };
}

const mailbox = {
  item: null as ReturnType<typeof toOfficeItem> | null,
  diagnostics: { hostName: "OutlookWebApp", hostVersion: "preview" },
  userProfile: { emailAddress: user, displayName: user },
  // In the preview the sample's id already is the Graph (REST) id.
  convertToRestId: (id: string) => id,
  addHandlerAsync(type: string, handler: Handler, cb?: Callback<void>) {
    if (type === "olkItemSelectedChanged") itemChanged.push(handler);
    ok(cb, undefined);
  },
  removeHandlerAsync(type: string, cb?: Callback<void>) {
    if (type === "olkItemSelectedChanged") itemChanged.length = 0;
    ok(cb, undefined);
  },
};

function displayDialogAsync(url: string, options: { height?: number; width?: number }, cb?: Callback<unknown>) {
  const w = Math.round(screen.availWidth * ((options?.width ?? 30) / 100));
  const h = Math.round(screen.availHeight * ((options?.height ?? 60) / 100));
  const popup = window.open(url, "_blank", `popup=yes,width=${w},height=${h}`);
  if (!popup) {
    cb?.({
      status: "failed",
      value: undefined,
      error: { code: 12009, message: "The browser blocked the dialog's popup." },
    });
    return;
  }
  const handlers: Record<string, Handler[]> = {};
  const fire = (type: string, arg: object) => (handlers[type] ?? []).forEach((h) => h({ type, ...arg }));
  const onMessage = (e: MessageEvent) => {
    if (e.source === popup)
      fire("dialogMessageReceived", {
        message: typeof e.data === "string" ? e.data : JSON.stringify(e.data),
        origin: e.origin,
      });
  };
  window.addEventListener("message", onMessage);
  const timer = setInterval(() => {
    if (popup.closed) {
      clearInterval(timer);
      window.removeEventListener("message", onMessage);
      fire("dialogEventReceived", { error: 12006 });
    }
  }, 400);
  ok(cb, {
    addEventHandler(type: string, h: Handler) {
      (handlers[type] ??= []).push(h);
    },
    close() {
      clearInterval(timer);
      window.removeEventListener("message", onMessage);
      popup.close();
    },
    messageChild() {},
  });
}

const context = {
  mailbox,
  diagnostics: { host: "Outlook", platform: "OfficeOnline", version: "preview" },
  requirements: {
    isSetSupported: (name: string, version?: string) => name === "Mailbox" && Number(version ?? "1.1") <= 1.5,
  },
  officeTheme: dark
    ? {
        bodyBackgroundColor: "#1f1f1f",
        bodyForegroundColor: "#ffffff",
        controlBackgroundColor: "#292929",
        controlForegroundColor: "#ffffff",
      }
    : {
        bodyBackgroundColor: "#ffffff",
        bodyForegroundColor: "#242424",
        controlBackgroundColor: "#ffffff",
        controlForegroundColor: "#242424",
      },
  ui: { displayDialogAsync, messageParent: undefined },
};

const info = { host: "Outlook", platform: "OfficeOnline" };
(window as unknown as { Office: unknown }).Office = {
  onReady(cb?: (i: typeof info) => void) {
    cb?.(info);
    return Promise.resolve(info);
  },
  context,
  MailboxEnums: {
    ItemType: { Message: "message", Appointment: "appointment" },
    RestVersion: { v1_0: "v1.0", v2_0: "v2.0", Beta: "beta" },
  },
  AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
  EventType: {
    ItemChanged: "olkItemSelectedChanged",
    DialogMessageReceived: "dialogMessageReceived",
    DialogEventReceived: "dialogEventReceived",
  },
  HostType: { Outlook: "Outlook" },
  PlatformType: { OfficeOnline: "OfficeOnline" },
};

window.addEventListener("message", (e: MessageEvent<PreviewEvent>) => {
  if (e.origin !== window.location.origin || e.source !== window.parent) return;
  if (e.data?.type === "ec-preview:select") {
    mailbox.item = e.data.message ? toOfficeItem(e.data.message) : null;
    itemChanged.forEach((h) => h({ type: "olkItemSelectedChanged" }));
  }
});
if (window.parent !== window)
  window.parent.postMessage({ type: "ec-preview:ready" } satisfies PreviewEvent, window.location.origin);
