/**
 * Continuous access evaluation: which access tokens were issued to CAE-capable clients (those whose token
 * request declared the `cp1` capability in `claims`), and which of them a revocation covers. Graph answers
 * such a token with a claims challenge instead of honouring it until it expires, as Graph does for CAE
 * clients only; tokens of other clients keep working until they expire.
 */

/** The client capability a token request declared in its `claims` parameter, as msal sends it. */
export function declaresCp1(claimsParam: string | null): boolean {
  if (!claimsParam) return false;
  try {
    const parsed = JSON.parse(claimsParam) as { access_token?: { xms_cc?: { values?: unknown } } };
    const values = parsed?.access_token?.xms_cc?.values;
    return Array.isArray(values) && values.some((v) => String(v).toLowerCase() === "cp1");
  } catch {
    return false;
  }
}

/** The claims Graph asks for in its challenge: an access token not before the revocation. */
export function challengeClaims(revokedAtMs: number): string {
  const json = JSON.stringify({
    access_token: { nbf: { essential: true, value: String(Math.floor(revokedAtMs / 1000)) } },
  });
  return Buffer.from(json, "utf8").toString("base64");
}

export class ContinuousAccess {
  /** Issue order of CAE tokens, so a revocation covers exactly those issued before it, even within one second. */
  private serial = 0;
  private readonly issued = new Map<string, number>();
  private readonly revoked = new Map<string, { upToSerial: number; at: number }>();
  /** Lifetime of Graph access tokens issued to CAE clients: Entra makes them long-lived (20–28 h). */
  lifetimeSeconds = 86_399;

  /** Remember a CAE token by its `uti`. */
  issue(uti: string): void {
    this.issued.set(uti, ++this.serial);
  }

  revoke(userId: string, atMs: number): void {
    this.revoked.set(userId, { upToSerial: this.serial, at: atMs });
  }

  restore(userId: string): void {
    this.revoked.delete(userId);
  }

  /**
   * The revocation a CAE token falls under, or null. Tokens unknown to this run (minted with overrides)
   * are judged by `iat`.
   */
  revocationOf(userId: string, uti: string, iatSeconds: number): { at: number } | null {
    const r = this.revoked.get(userId);
    if (!r) return null;
    const serial = this.issued.get(uti);
    const before = serial !== undefined ? serial <= r.upToSerial : iatSeconds * 1000 <= r.at;
    return before ? { at: r.at } : null;
  }
}
