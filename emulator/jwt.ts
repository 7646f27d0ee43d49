/**
 * RS256 JSON Web Tokens with Node's crypto, so the emulator has no ESM-only dependency (jose)
 * and runs the same under tsx and jest. One key signs every token the emulator issues, like a
 * tenant's current signing key in Entra; its public half is served as the JWKS.
 */
import crypto, { type KeyObject } from "node:crypto";

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public JWK (kty, n, e) plus kid/use/alg. */
  jwk: Record<string, string>;
}

export type JwtPayload = Record<string, unknown>;

export function b64url(input: Buffer | string): string {
  return Buffer.from(input).toString("base64url");
}

export function createSigningKey(): SigningKey {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pub = publicKey.export({ format: "jwk" }) as { n: string; e: string };
  // Entra kids look like a certificate thumbprint (base64url of a SHA-1): derive one from the modulus.
  const kid = b64url(crypto.createHash("sha1").update(pub.n).digest());
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { kty: "RSA", use: "sig", alg: "RS256", kid, x5t: kid, n: pub.n, e: pub.e },
  };
}

export function signJwt(key: SigningKey, payload: JwtPayload): string {
  const header = { typ: "JWT", alg: "RS256", kid: key.kid, x5t: key.kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = crypto.sign("RSA-SHA256", Buffer.from(input), key.privateKey);
  return `${input}.${b64url(sig)}`;
}

/** Payload when the signature is ours and the token is well-formed, else null. Time is checked by callers. */
export function verifyJwt(key: SigningKey, token: string): JwtPayload | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")) as { alg?: string; kid?: string };
    if (header.alg !== "RS256" || header.kid !== key.kid) return null;
    const ok = crypto.verify(
      "RSA-SHA256",
      Buffer.from(`${parts[0]}.${parts[1]}`),
      key.publicKey,
      Buffer.from(parts[2], "base64url"),
    );
    if (!ok) return null;
    return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as JwtPayload;
  } catch {
    return null;
  }
}

/** Decode without verifying (for error messages and tests). */
export function decodeJwt(token: string): JwtPayload | null {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as JwtPayload;
  } catch {
    return null;
  }
}
