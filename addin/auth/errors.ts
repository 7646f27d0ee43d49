/**
 * Sign-in failures in plain words. MSAL's own messages name error codes and link to aka.ms pages;
 * a person needs to know what happened and what to do, and support needs the code. Duck-typed
 * (errorCode / subError), so this module does not pull MSAL into the pane's first chunk.
 */

/** A sign-in failure raised by the pane's own code (the Office-dialog fallback). */
export class SignInError extends Error {
  constructor(
    readonly errorCode: string,
    message = "Sign-in didn't finish.",
  ) {
    super(message);
    this.name = "SignInError";
  }
}

const CANCELLED = "Sign-in was cancelled.";
const WINDOW = "The sign-in window was blocked or closed. Allow pop-ups for this pane and try again.";
const UNFINISHED = "The sign-in window was closed or didn't finish in time. Try again.";
const BUSY = "Another sign-in is still open. Finish it or close its window, then try again.";
const CONSENT =
  "Sign-in was refused or Engagement Capture isn't approved for your organization yet. Try again, or ask an administrator to approve it.";
const OFFLINE = "Microsoft sign-in can't be reached. Check your connection and try again.";

const TEXTS: Record<string, string> = {
  user_cancelled: CANCELLED,
  user_canceled: CANCELLED, // msal-common's spelling, used under nested app authentication
  popup_window_error: WINDOW,
  empty_window_error: WINDOW,
  block_nested_popups: WINDOW,
  timed_out: UNFINISHED,
  monitor_window_timeout: UNFINISHED,
  redirect_bridge_empty_response: UNFINISHED,
  interaction_in_progress: BUSY,
  access_denied: CONSENT,
  consent_required: CONSENT,
  no_network_connectivity: OFFLINE,
  post_request_failed: OFFLINE,
  get_request_failed: OFFLINE,
  endpoints_resolution_error: OFFLINE,
  // Office dialog codes (displayDialogAsync / DialogEventReceived).
  "12006": CANCELLED,
  "12007": BUSY,
  "12009": WINDOW,
};

function codeOf(e: unknown): { code: string; sub: string } | null {
  if (!e || typeof e !== "object") return null;
  const o = e as { errorCode?: unknown; subError?: unknown; code?: unknown; name?: unknown };
  if (typeof o.errorCode === "string" && o.errorCode)
    return { code: o.errorCode, sub: typeof o.subError === "string" ? o.subError : "" };
  if (o.name === "OfficeAsyncError" && typeof o.code === "number") return { code: String(o.code), sub: "" };
  return null;
}

/** The sentence and code for a sign-in failure, or null when e is not one. */
export function describeSignInError(e: unknown): { text: string; code: string } | null {
  const c = codeOf(e);
  if (!c) return null;
  const text = TEXTS[c.sub] ?? TEXTS[c.code];
  if (text) return { text, code: c.code };
  // Entra's consent errors arrive as invalid_grant / interaction_required with AADSTS65001 in the text.
  if (e instanceof Error && /AADSTS65001|AADSTS65004|consent/i.test(e.message)) return { text: CONSENT, code: c.code };
  return { text: "Sign-in didn't finish. Try again.", code: c.code };
}

/** A sign-in attempt that was replaced by a newer one (the user pressed Sign in again): not a failure to show. */
export function isSupersededSignIn(e: unknown): boolean {
  return codeOf(e)?.code === "interaction_in_progress_cancelled";
}
