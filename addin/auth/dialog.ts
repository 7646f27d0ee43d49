/**
 * dialog.html: the page the pane opens in an Office dialog. Two jobs:
 * - action=connect&url=…: Office requires a dialog's first page to be on the add-in's own origin, so
 *   Connect opens this page, which forwards to the backend's authorize URL — only when that URL is
 *   on the configured authority's origin (no open redirect).
 * - action=signin (or coming back from the authority with a response): the sign-in fallback for
 *   hosts without nested app authentication — standard MSAL by redirect, token handed to the pane
 *   with Office.context.ui.messageParent.
 */
import { createStandardPublicClientApplication } from "@azure/msal-browser";
import { loadAddinConfig } from "../config";
import { isAllowedConnectTarget } from "./dialog-target";
import { knownAuthoritiesFor } from "./strategy";
import type { DialogAuthMessage } from "./types";

function say(text: string) {
  const el = document.getElementById("status");
  if (el) el.textContent = text;
}

function send(msg: DialogAuthMessage) {
  const office = (window as { Office?: typeof Office }).Office;
  if (office?.context?.ui?.messageParent) office.context.ui.messageParent(JSON.stringify(msg));
  else if (window.opener) (window.opener as Window).postMessage(JSON.stringify(msg), window.location.origin);
}

async function main() {
  const params = new URLSearchParams(window.location.search);
  const base = window.location.pathname.replace(/[^/]*$/, "").replace(/\/$/, "");
  const config = await loadAddinConfig(`${window.location.origin}${base}`);
  if (params.get("action") === "connect") {
    const target = params.get("url") ?? "";
    if (!isAllowedConnectTarget(target, config.authority)) {
      say("This sign-in link is not for the configured Microsoft sign-in service. Close this window and try again.");
      return;
    }
    say("Opening Microsoft sign-in…");
    window.location.replace(target);
    return;
  }
  const redirectUri = `${window.location.origin}${window.location.pathname}`;
  const pca = await createStandardPublicClientApplication({
    auth: {
      clientId: config.clientId,
      authority: config.authority,
      knownAuthorities: knownAuthoritiesFor(config.authority),
      redirectUri,
    },
    cache: { cacheLocation: "localStorage" },
  });
  const result = await pca.handleRedirectPromise();
  if (result) {
    send({
      type: "token",
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ? result.expiresOn.toISOString() : null,
    });
    say("Signed in. You can close this window.");
    return;
  }
  say("Opening Microsoft sign-in…");
  await pca.acquireTokenRedirect({ scopes: [config.apiScope], loginHint: params.get("loginHint") ?? undefined });
}

// Office.onReady first when office.js is on the page (messageParent needs it); plain browsers go straight on.
const office = (window as { Office?: typeof Office }).Office;
const ready = office?.onReady ? office.onReady() : Promise.resolve();
ready.then(main).catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  const code =
    e && typeof e === "object" && typeof (e as { errorCode?: unknown }).errorCode === "string"
      ? (e as { errorCode: string }).errorCode
      : undefined;
  // The page says it plainly; the pane gets MSAL's code and words it (auth/errors.ts).
  say(`Sign-in didn't finish${code ? ` (${code})` : ""}. Close this window and try again.`);
  send({ type: "error", message, code });
});
