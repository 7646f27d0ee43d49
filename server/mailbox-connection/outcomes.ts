/**
 * What the callback page and the pane tell the user, in words: one entry per way a connect attempt
 * can end. Each failure says what was wrong and what to do; none of them reveals a token or code.
 */
export type CallbackFailureCode =
  | "missing_state"
  | "invalid_state"
  | "expired_state"
  | "used_state"
  | "unknown_state"
  | "consent_declined"
  | "authorize_error"
  | "missing_code"
  | "code_rejected"
  | "wrong_account"
  | "identity_unavailable";

const RESTART = "Close this window and choose Connect Microsoft 365 again in the Outlook pane.";

export const CALLBACK_FAILURES: Record<CallbackFailureCode, { title: string; message: string }> = {
  missing_state: {
    title: "This sign-in link is incomplete",
    message: `The answer from Microsoft did not say which connect request it belongs to, so nothing was connected. ${RESTART}`,
  },
  invalid_state: {
    title: "This sign-in link is not valid",
    message: `The connect request in this link was not issued by this server or was altered, so nothing was connected. ${RESTART}`,
  },
  expired_state: {
    title: "This sign-in link has expired",
    message: `Connect requests are valid for 10 minutes and this one is older, so nothing was connected. ${RESTART}`,
  },
  used_state: {
    title: "This sign-in link was already used",
    message: `Each connect request can be completed once, and this one already was — nothing more was stored. If your mailbox is not shown as connected, ${RESTART.charAt(0).toLowerCase()}${RESTART.slice(1)}`,
  },
  unknown_state: {
    title: "This connect request is unknown",
    message: `The connect request could not be found (the user may have been removed), so nothing was connected. ${RESTART}`,
  },
  consent_declined: {
    title: "Permission was not granted",
    message:
      "Microsoft 365 reported that access was declined, so your mailbox is not connected and nothing is captured. To connect, choose Connect Microsoft 365 again and accept the requested permissions, or ask your administrator to grant consent for the organization.",
  },
  authorize_error: {
    title: "Microsoft sign-in did not complete",
    message: `Microsoft 365 reported an error, so your mailbox is not connected. ${RESTART}`,
  },
  missing_code: {
    title: "The sign-in answer is incomplete",
    message: `The answer from Microsoft carried no authorization code, so nothing was connected. ${RESTART}`,
  },
  code_rejected: {
    title: "Microsoft did not accept this sign-in",
    message: `The authorization code in this answer was rejected by Microsoft (it was invalid, expired, already used, or issued for another request), so nothing was connected. ${RESTART}`,
  },
  wrong_account: {
    title: "You signed in with a different account",
    message:
      "The Microsoft 365 account you signed in with is not the account you use in Outlook, so nothing was stored. Choose Connect Microsoft 365 again and sign in with the same account as Outlook (pick it in the account list).",
  },
  identity_unavailable: {
    title: "Microsoft sign-in could not be reached",
    message: `The server could not complete the sign-in with Microsoft just now, so nothing was connected. Wait a minute, then ${RESTART.charAt(0).toLowerCase()}${RESTART.slice(1)}`,
  },
};

/**
 * The callback's query is anyone's to write (a link can carry any `error` and `error_description`), so
 * the page never shows that text: one fixed sentence per OAuth error code (RFC 6749 4.1.2.1 and the
 * OpenID Connect codes Entra sends), and the AADSTS number when the description starts with one.
 */
const AUTHORIZE_ERROR_SENTENCES: Record<string, string> = {
  invalid_request: "Microsoft said the sign-in request was not valid.",
  unauthorized_client: "Microsoft said this app may not sign you in this way.",
  unsupported_response_type: "Microsoft said this app asked for a kind of answer it does not give.",
  invalid_scope: "Microsoft did not accept the permissions this app asked for.",
  server_error: "Microsoft had an internal error.",
  temporarily_unavailable: "Microsoft sign-in is temporarily unavailable.",
  interaction_required: "Microsoft needs you to complete a step it could not show here.",
  login_required: "Microsoft needs you to sign in again.",
  consent_required: "Permission for this app has not been granted yet.",
  account_selection_required: "Microsoft needs you to choose an account.",
  invalid_client: "Microsoft did not recognise this app.",
  invalid_resource: "Microsoft did not recognise the service this app asked for.",
};

/** The AADSTS number a description starts with ("AADSTS65004: …"), or null: nothing else of the text is used. */
export function aadstsOf(description: string | undefined): number | null {
  const m = /^AADSTS(\d{1,9}):/.exec(description ?? "");
  return m ? Number(m[1]) : null;
}

/** What the page adds to an authorization error: a fixed sentence for a known code, and the AADSTS number. */
export function authorizeErrorDetail(error: string, description: string | undefined): string | null {
  const sentence = AUTHORIZE_ERROR_SENTENCES[error] ?? null;
  const aadsts = aadstsOf(description);
  const code = aadsts === null ? null : `Microsoft error AADSTS${aadsts}.`;
  return [sentence, code].filter((x): x is string => !!x).join(" ") || null;
}

export const CONNECTED_MESSAGE =
  "Your Microsoft 365 mailbox is connected. Capture starts now with mail from the last 24 hours. You can close this window.";

/** Reason words stored on a connection that needs the user again (shown in the pane). */
export function reauthReason(aadsts: number | null, cause: "grant" | "unreadable" | "no_account" = "grant"): string {
  const act = "Choose Reconnect in the Outlook pane; capture resumes and fills the gap.";
  if (cause === "unreadable")
    return `Your stored Microsoft 365 sign-in can no longer be read on the server (its encryption key changed) — reconnect to resume capture. ${act}`;
  if (cause === "no_account")
    return `Your stored Microsoft 365 sign-in is incomplete — reconnect to resume capture. ${act}`;
  switch (aadsts) {
    case 700082:
      return `Your Microsoft 365 sign-in expired after a long time without use — reconnect to resume capture. ${act}`;
    case 50173:
      return `Your Microsoft 365 sign-in was revoked (for example after a password change or reset) — reconnect to resume capture. ${act}`;
    case 65001:
      return `Permission for this app to read your mailbox was withdrawn — reconnect and accept the permissions to resume capture. ${act}`;
    default:
      return `Your Microsoft 365 sign-in expired or was revoked — reconnect to resume capture. ${act}`;
  }
}
