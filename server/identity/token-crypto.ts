/**
 * Encryption at rest for the delegated grant: the user's MSAL token cache and the PKCE verifier.
 *
 * AES-256-GCM, a fresh random 12-byte IV per message, the 16-byte tag checked on decrypt, so a
 * flipped bit anywhere (IV, tag, ciphertext, or the associated data) is an error rather than garbage.
 * Text format: `v1.<iv>.<tag>.<ciphertext>` (base64url parts). The version prefix leaves room to
 * rotate the algorithm or key later without guessing what a stored value is.
 *
 * Associated data binds a ciphertext to where it belongs (e.g. the user's connection row): a cache
 * copied into another user's row does not decrypt, even with the right key.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config";
import { DomainError } from "../domain-error";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class TokenDecryptionError extends DomainError {
  override readonly name = "TokenDecryptionError";
  constructor(message: string) {
    super("token_unreadable", message);
  }
}

export interface TokenCipher {
  encrypt(plaintext: string, associatedData?: string): string;
  /** Throws TokenDecryptionError when the value is malformed, tampered with, or sealed with another key or context. */
  decrypt(sealed: string, associatedData?: string): string;
  /** A key for another purpose derived from this one (HKDF-SHA256), so one secret serves the whole identity layer. */
  deriveKey(purpose: string, length?: number): Buffer;
}

export function createTokenCipher(key: Buffer): TokenCipher {
  if (key.length !== KEY_BYTES) throw new Error(`token encryption key must be ${KEY_BYTES} bytes, got ${key.length}`);
  // Own copy: the caller's buffer may be reused or zeroed.
  const k = Buffer.from(key);
  return {
    encrypt(plaintext, associatedData = "") {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv("aes-256-gcm", k, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(associatedData, "utf8"));
      const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString("base64url"), tag.toString("base64url"), ct.toString("base64url")].join(".");
    },
    decrypt(sealed, associatedData = "") {
      const parts = typeof sealed === "string" ? sealed.split(".") : [];
      if (parts.length !== 4 || parts[0] !== VERSION) throw new TokenDecryptionError("not a v1 sealed value");
      const [, ivB, tagB, ctB] = parts;
      const iv = Buffer.from(ivB, "base64url");
      const tag = Buffer.from(tagB, "base64url");
      const ct = Buffer.from(ctB, "base64url");
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new TokenDecryptionError("malformed sealed value");
      try {
        const decipher = crypto.createDecipheriv("aes-256-gcm", k, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(associatedData, "utf8"));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
      } catch {
        // Never echo the input: it may be a token.
        throw new TokenDecryptionError("sealed value failed authentication (tampered, wrong key or wrong context)");
      }
    },
    deriveKey(purpose, length = 32) {
      return Buffer.from(
        crypto.hkdfSync("sha256", k, Buffer.alloc(0), Buffer.from(`engagement-capture/${purpose}`, "utf8"), length),
      );
    },
  };
}

export const KEY_FILE_NAME = "token-encryption.key";

export interface KeyLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The 32-byte key: TOKEN_ENCRYPTION_KEY when set; otherwise (embedded mode) `<dataDir>/token-encryption.key`,
 * generated on first start and reused afterwards. The file holds the key base64-encoded — the same text
 * TOKEN_ENCRYPTION_KEY takes, so an operator moving to PostgreSQL can copy it over.
 * Losing the file means every user must reconnect; the log line says where it is (never what it is).
 */
export function resolveEncryptionKey(
  config: Pick<Config, "tokenEncryptionKey" | "dataDir">,
  logger?: KeyLogger,
): Buffer {
  if (config.tokenEncryptionKey) {
    if (config.tokenEncryptionKey.length !== KEY_BYTES)
      throw new Error("TOKEN_ENCRYPTION_KEY must be 32 bytes, base64-encoded");
    return Buffer.from(config.tokenEncryptionKey);
  }
  const file = path.resolve(config.dataDir, KEY_FILE_NAME);
  const existing = readKeyFile(file, logger);
  if (existing) return existing;

  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Write the whole key to a private temp file, then hard-link it into place: link() fails if the
  // target exists, so two processes starting at once cannot both "win", and nobody ever reads a
  // half-written key. The loser reads the winner's file.
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`;
  const key = crypto.randomBytes(KEY_BYTES);
  const fd = fs.openSync(tmp, "wx", 0o600);
  try {
    fs.writeSync(fd, `${key.toString("base64")}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const theirs = readKeyFile(file, logger);
    if (!theirs)
      throw new Error(`token encryption key file ${file} exists but is not readable as a key`, { cause: err });
    return theirs;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  logger?.info(
    { keyFile: file },
    "generated the token encryption key (keep this file; back it up with the database, or set TOKEN_ENCRYPTION_KEY)",
  );
  return key;
}

function readKeyFile(file: string, logger?: KeyLogger): Buffer | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== KEY_BYTES || !/^[A-Za-z0-9+/=]+$/.test(text.trim())) {
    throw new Error(`token encryption key file ${file} is not a base64-encoded 32-byte key`);
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    logger?.warn(
      { keyFile: file, mode: mode.toString(8) },
      "token encryption key file is readable by others; chmod 600 it",
    );
  }
  logger?.info({ keyFile: file }, "using the token encryption key file");
  return key;
}
