import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  KEY_FILE_NAME,
  TokenDecryptionError,
  createTokenCipher,
  resolveEncryptionKey,
} from "../../server/identity/token-crypto";

const key = crypto.randomBytes(32);

describe("token cipher (AES-256-GCM)", () => {
  const cipher = createTokenCipher(key);

  it("round-trips and never repeats a ciphertext (fresh IV)", () => {
    const a = cipher.encrypt("refresh-token-value", "ctx");
    const b = cipher.encrypt("refresh-token-value", "ctx");
    expect(a).not.toEqual(b);
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toContain("refresh-token-value");
    expect(cipher.decrypt(a, "ctx")).toBe("refresh-token-value");
    expect(cipher.decrypt(b, "ctx")).toBe("refresh-token-value");
  });

  it("rejects any tampering: ciphertext, tag, IV, version", () => {
    const sealed = cipher.encrypt('{"RefreshToken":{}}', "ctx");
    const [v, iv, tag, ct] = sealed.split(".");
    const flip = (s: string) => {
      const b = Buffer.from(s, "base64url");
      b[0] ^= 1;
      return b.toString("base64url");
    };
    for (const bad of [
      [v, iv, tag, flip(ct)],
      [v, iv, flip(tag), ct],
      [v, flip(iv), tag, ct],
      ["v2", iv, tag, ct],
    ]) {
      expect(() => cipher.decrypt(bad.join("."), "ctx")).toThrow(TokenDecryptionError);
    }
    expect(() => cipher.decrypt("garbage", "ctx")).toThrow(TokenDecryptionError);
  });

  it("binds a ciphertext to its context and key", () => {
    const sealed = cipher.encrypt("secret", "mailbox_connections.token_cache:org:userA");
    expect(() => cipher.decrypt(sealed, "mailbox_connections.token_cache:org:userB")).toThrow(TokenDecryptionError);
    expect(() =>
      createTokenCipher(crypto.randomBytes(32)).decrypt(sealed, "mailbox_connections.token_cache:org:userA"),
    ).toThrow(TokenDecryptionError);
  });

  it("does not put the plaintext in the error message", () => {
    try {
      cipher.decrypt("v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.c2VjcmV0", "");
      throw new Error("should have failed");
    } catch (e) {
      expect((e as Error).message).not.toContain("c2VjcmV0");
    }
  });

  it("refuses keys that are not 32 bytes", () => {
    expect(() => createTokenCipher(crypto.randomBytes(16))).toThrow(/32 bytes/);
  });

  it("derives distinct, stable keys per purpose", () => {
    expect(cipher.deriveKey("a").equals(cipher.deriveKey("a"))).toBe(true);
    expect(cipher.deriveKey("a").equals(cipher.deriveKey("b"))).toBe(false);
    expect(cipher.deriveKey("a").equals(key)).toBe(false);
  });
});

describe("resolveEncryptionKey", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-key-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("uses TOKEN_ENCRYPTION_KEY when configured and writes no file", () => {
    const k = resolveEncryptionKey({ tokenEncryptionKey: key, dataDir: dir });
    expect(k.equals(key)).toBe(true);
    expect(fs.existsSync(path.join(dir, KEY_FILE_NAME))).toBe(false);
  });

  it("embedded mode: generates a 0600 key file once, says where (not what), and reuses it", () => {
    const lines: { obj: object; msg: string }[] = [];
    const logger = {
      info: (obj: object, msg: string) => lines.push({ obj, msg }),
      warn: (obj: object, msg: string) => lines.push({ obj, msg }),
    };
    const dataDir = path.join(dir, "nested", "data");
    const k1 = resolveEncryptionKey({ tokenEncryptionKey: null, dataDir }, logger);
    const file = path.join(dataDir, KEY_FILE_NAME);
    expect(k1).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64").equals(k1)).toBe(true);
    expect(JSON.stringify(lines)).toContain(file);
    expect(JSON.stringify(lines)).not.toContain(k1.toString("base64"));
    expect(fs.readdirSync(dataDir)).toEqual([KEY_FILE_NAME]); // no temp file left behind

    const k2 = resolveEncryptionKey({ tokenEncryptionKey: null, dataDir }, logger);
    expect(k2.equals(k1)).toBe(true);
  });

  it("refuses a corrupt key file rather than silently making a new key", () => {
    fs.writeFileSync(path.join(dir, KEY_FILE_NAME), "not a key\n", { mode: 0o600 });
    expect(() => resolveEncryptionKey({ tokenEncryptionKey: null, dataDir: dir })).toThrow(
      /not a base64-encoded 32-byte key/,
    );
  });

  it("warns when the key file is readable by others", () => {
    const file = path.join(dir, KEY_FILE_NAME);
    fs.writeFileSync(file, `${key.toString("base64")}\n`);
    fs.chmodSync(file, 0o644);
    const warnings: string[] = [];
    resolveEncryptionKey(
      { tokenEncryptionKey: null, dataDir: dir },
      { info: () => {}, warn: (_o, m) => warnings.push(m) },
    );
    expect(warnings.join(" ")).toMatch(/chmod 600/);
  });
});
