/** The pane's view of authentication: something that hands out bearer tokens for the API scope. */

export type AuthStrategy = "naa" | "dialog" | "browser";

export interface TokenProvider {
  readonly strategy: AuthStrategy;
  /** Without user interaction; throws InteractionRequiredError when the user must sign in. */
  getToken(options?: { forceRefresh?: boolean }): Promise<string>;
  /** Interactive sign-in. Call from a click handler: popups need a user gesture. */
  signIn(): Promise<void>;
}

/** The user has to sign in (no account yet, consent needed, session expired). */
export class InteractionRequiredError extends Error {
  constructor(message = "Sign in to continue.", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InteractionRequiredError";
  }
}

export function isInteractionRequired(e: unknown): e is InteractionRequiredError {
  return e instanceof Error && e.name === "InteractionRequiredError";
}

/** What the fallback sign-in dialog sends back with messageParent. */
export type DialogAuthMessage =
  | { type: "token"; accessToken: string; expiresOn: string | null }
  | { type: "error"; message: string; /** MSAL's errorCode, when MSAL failed; the pane words it. */ code?: string };
