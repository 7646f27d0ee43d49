/**
 * MSAL-backed TokenProvider for the three strategies. Kept apart from the UI so component tests
 * swap in a stub provider and the pane never touches MSAL directly.
 */
import type { AccountInfo, IPublicClientApplication } from "@azure/msal-browser";
import type { AddinConfig } from "../config";
import { openDialog } from "../office/dialog";
import { mailboxUserAddress } from "../office/host";
import { SignInError } from "./errors";
import { chooseAuthStrategy, knownAuthoritiesFor } from "./strategy";
import { InteractionRequiredError, type AuthStrategy, type DialogAuthMessage, type TokenProvider } from "./types";

export interface MsalProviderOptions {
  strategy?: AuthStrategy;
  /** Which account to use; defaults to the mailbox's address (the preview's chosen demo user). */
  loginHint?: string | null;
  /** Directory URL the pane is served from, ending in "/"; redirect pages live beside it. */
  baseUrl?: string;
}

function defaultBaseUrl(): string {
  return `${window.location.origin}${window.location.pathname.replace(/[^/]*$/, "")}`;
}

export async function createTokenProvider(config: AddinConfig, opts: MsalProviderOptions = {}): Promise<TokenProvider> {
  const strategy = opts.strategy ?? chooseAuthStrategy();
  const loginHint = opts.loginHint ?? mailboxUserAddress() ?? undefined;
  const baseUrl = opts.baseUrl ?? defaultBaseUrl();
  const scopes = [config.apiScope];
  if (strategy === "dialog") return dialogProvider(baseUrl, loginHint);

  const auth = {
    clientId: config.clientId,
    authority: config.authority,
    knownAuthorities: knownAuthoritiesFor(config.authority),
    // auth.html runs MSAL's redirect bridge, which hands the popup's response back to this page.
    redirectUri: `${baseUrl}auth.html`,
  };
  const cache = { cacheLocation: "localStorage" as const };
  // MSAL is a third of the pane's JavaScript: a separate chunk, fetched while the pane's shell renders.
  const { createNestablePublicClientApplication, createStandardPublicClientApplication } = await import(
    /* webpackChunkName: "msal" */ "@azure/msal-browser"
  );
  const pca: IPublicClientApplication =
    strategy === "naa"
      ? await createNestablePublicClientApplication({ auth, cache })
      : await createStandardPublicClientApplication({ auth, cache });

  const account = (): AccountInfo | undefined => {
    const all = pca.getAllAccounts();
    if (loginHint) return all.find((a) => a.username.toLowerCase() === loginHint.toLowerCase());
    return pca.getActiveAccount() ?? all[0];
  };

  return {
    strategy,
    async getToken({ forceRefresh = false } = {}) {
      const acc = account();
      // Under NAA the host knows the account, so silent works without one; elsewhere we need a cached account.
      if (!acc && strategy !== "naa") throw new InteractionRequiredError();
      try {
        const r = await pca.acquireTokenSilent({ scopes, account: acc, forceRefresh });
        return r.accessToken;
      } catch (e) {
        throw new InteractionRequiredError("Sign in to continue.", { cause: e });
      }
    },
    async signIn() {
      // msal-browser 5 hears the popup's answer on a BroadcastChannel and cannot see the window close:
      // a closed popup ends only at system.popupBridgeTimeout (60 s, timed_out). Polling popup.closed
      // is no way out (a Cross-Origin-Opener-Policy on the sign-in page makes it read true while the
      // window is open), so the pane keeps Sign in available while it waits, and pressing it again
      // replaces the waiting attempt here instead of failing with interaction_in_progress.
      const r = await pca.acquireTokenPopup({ scopes, loginHint, overrideInteractionInProgress: true });
      if (r.account) pca.setActiveAccount(r.account);
    },
  };
}

/** Hosts without NAA: an Office dialog signs in with standard MSAL and posts the token back. */
function dialogProvider(baseUrl: string, loginHint: string | undefined): TokenProvider {
  let cached: { token: string; expiresAt: number } | null = null;
  return {
    strategy: "dialog",
    async getToken({ forceRefresh = false } = {}) {
      // Five minutes' margin so a token never expires in flight.
      if (!forceRefresh && cached && cached.expiresAt - Date.now() > 5 * 60_000) return cached.token;
      throw new InteractionRequiredError();
    },
    async signIn() {
      const url = `${baseUrl}dialog.html?action=signin${loginHint ? `&loginHint=${encodeURIComponent(loginHint)}` : ""}`;
      let close = () => {};
      const message = await new Promise<DialogAuthMessage>((resolve, reject) => {
        let settled = false;
        openDialog(url, {
          onMessage: (raw) => {
            try {
              const msg = JSON.parse(raw) as DialogAuthMessage;
              settled = true;
              resolve(msg);
            } catch {
              /* not ours */
            }
          },
          onClosed: () => {
            if (!settled) reject(new SignInError("user_cancelled"));
          },
        }).then((d) => (close = () => d.close()), reject);
      });
      close();
      if (message.type === "error") throw new SignInError(message.code ?? "dialog_error", message.message);
      cached = {
        token: message.accessToken,
        expiresAt: message.expiresOn ? Date.parse(message.expiresOn) : Date.now() + 3600_000,
      };
    },
  };
}
