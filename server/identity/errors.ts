/**
 * Errors the identity layer raises to the sweep, the mail sender and the routes.
 * ReauthRequiredError means the delegated grant can no longer be used without the user
 * (expired or revoked refresh token, consent withdrawn: invalid_grant with AADSTS 700082 / 50173 / 65001,
 * or MSAL's InteractionRequiredAuthError). The connection has already been flipped to reauth_required
 * by whoever throws it.
 */
import { DomainError } from "../domain-error";

export class ReauthRequiredError extends DomainError {
  override readonly name = "ReauthRequiredError";
  constructor(
    message: string,
    /** AADSTS code when Entra gave one, e.g. 700082. */
    readonly aadsts: number | null = null,
  ) {
    super("reauth_required", message);
  }
}

/**
 * The identity provider (the Entra authority) could not be reached or failed (discovery, network,
 * 5xx): nothing is wrong with the user's request or grant; try again shortly.
 */
export class IdentityUnavailableError extends DomainError {
  override readonly name = "IdentityUnavailableError";
  constructor(message: string) {
    super("identity_unavailable", message);
  }
}

/** The user has no mailbox connection at all (never connected, or disconnected). */
export class NotConnectedError extends DomainError {
  override readonly name = "NotConnectedError";
  constructor(message: string) {
    super("not_connected", message);
  }
}

export interface GraphTokenOptions {
  forceRefresh?: boolean;
  claims?: string;
}

/** Source of delegated Graph access tokens for a user's mailbox (implemented by the connect flow). */
export interface GraphTokenSource {
  /**
   * A valid Graph access token for this user's mailbox, refreshed silently when needed. After Graph refused
   * a token: `forceRefresh` redeems the refresh token now, `claims` (JSON text from a claims challenge) asks
   * for a token carrying them.
   */
  getGraphAccessToken(organizationId: string, userId: string, opts?: GraphTokenOptions): Promise<string>;
}
