/**
 * Which sign-in path the pane takes:
 * - "naa": nested app authentication when the host supports NestedAppAuth 1.1 (declared at
 *   runtime, not in the manifest — Outlook does not support declaring it);
 * - "dialog": an Office dialog running standard MSAL, handing the token back with messageParent
 *   (needs DialogApi 1.1);
 * - "browser": outside Office (the browser preview's stand-in declares neither), standard MSAL with a popup.
 */
import { isInOutlook, isSetSupported } from "../office/host";
import type { AuthStrategy } from "./types";

export function chooseAuthStrategy(): AuthStrategy {
  if (!isInOutlook()) return "browser";
  if (isSetSupported("NestedAppAuth", "1.1")) return "naa";
  if (isSetSupported("DialogApi", "1.1")) return "dialog";
  return "browser";
}

/**
 * MSAL validates authorities against Microsoft's instance discovery unless the host is "known".
 * National clouds and the emulator are configured by ENTRA_AUTHORITY_HOST, so trust exactly the
 * configured host, whatever it is.
 */
export function knownAuthoritiesFor(authority: string): string[] {
  try {
    return [new URL(authority).host];
  } catch {
    return [];
  }
}
