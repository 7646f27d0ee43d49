/** Where the pane runs: inside an Office host, in the browser preview's stand-in, or in a plain browser. */

/** True once Office.onReady reported a mailbox host (Outlook or the preview stand-in). */
export function isInOutlook(): boolean {
  return typeof Office !== "undefined" && !!Office.context && !!Office.context.mailbox;
}

export function hostName(): string | null {
  if (!isInOutlook()) return null;
  return Office.context.mailbox.diagnostics?.hostName ?? null;
}

/** Outlook on iOS/Android: item ids are already REST ids there and convertToRestId is unavailable. */
export function isMobileHost(): boolean {
  const h = hostName();
  return h === "OutlookIOS" || h === "OutlookAndroid";
}

/** The signed-in mailbox's address: the login hint for MSAL, so the right account is used. */
export function mailboxUserAddress(): string | null {
  if (!isInOutlook()) return null;
  return Office.context.mailbox.userProfile?.emailAddress ?? null;
}

/** Requirement-set check that answers false (not throws) outside Office. */
export function isSetSupported(name: string, version: string): boolean {
  try {
    return typeof Office !== "undefined" && !!Office.context?.requirements?.isSetSupported(name, version);
  } catch {
    return false;
  }
}
