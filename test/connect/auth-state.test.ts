import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ManualClock } from "../../server/clock";
import { migrateToLatest, openDatabase, type Db } from "../../server/db";
import { createAuthStateStore, createStateSigner, newPkcePair } from "../../server/identity/auth-state";
import { createTokenCipher } from "../../server/identity/token-crypto";
import { provisionUser } from "../../server/store/users";

describe("state signer", () => {
  const signer = createStateSigner(crypto.randomBytes(32));
  const now = new Date("2026-03-02T10:00:00Z");
  const payload = { nonce: "n1", organizationId: "org", userId: "u1", expiresAt: now.getTime() + 600_000 };

  it("verifies its own tokens and rejects edits, other keys and expiry", () => {
    const t = signer.sign(payload);
    expect(signer.verify(t, now)).toEqual({ ok: true, payload });
    const [v, body, sig] = t.split(".");
    const edited = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, "base64url").toString()), u: "u2" }),
    ).toString("base64url");
    expect(signer.verify(`${v}.${edited}.${sig}`, now)).toEqual({ ok: false, reason: "invalid" });
    expect(createStateSigner(crypto.randomBytes(32)).verify(t, now)).toEqual({ ok: false, reason: "invalid" });
    expect(signer.verify("x.y", now)).toEqual({ ok: false, reason: "invalid" });
    expect(signer.verify("", now)).toEqual({ ok: false, reason: "missing" });
    expect(signer.verify(t, new Date(payload.expiresAt))).toEqual({ ok: false, reason: "expired" });
  });

  it("PKCE pair is S256", () => {
    const { verifier, challenge } = newPkcePair();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).toBe(crypto.createHash("sha256").update(verifier).digest("base64url"));
  });
});

describe("auth state store", () => {
  let dir: string;
  let db: Db;
  const clock = new ManualClock("2026-03-02T10:00:00Z");
  const cipher = createTokenCipher(crypto.randomBytes(32));
  let userId: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-state-"));
    db = await openDatabase(path.join(dir, "t.db"));
    await migrateToLatest(db);
    userId = (
      await provisionUser(
        db,
        { organizationId: "tid-1", oid: "oid-1", email: "ada@contoso.com", displayName: "Ada" },
        clock.now(),
      )
    ).id;
  });
  afterAll(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is single use and keeps the verifier encrypted", async () => {
    const store = createAuthStateStore({ db, cipher, clock });
    const issued = await store.issue({ organizationId: "tid-1", userId });
    const row = await db.selectFrom("authStates").selectAll().where("id", "=", issued.nonce).executeTakeFirstOrThrow();
    expect(row.codeVerifier.startsWith("v1.")).toBe(true);

    const first = await store.consume(issued.state);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.userId).toBe(userId);
    expect(crypto.createHash("sha256").update(first.codeVerifier).digest("base64url")).toBe(issued.codeChallenge);
    expect(row.codeVerifier).not.toContain(first.codeVerifier);

    expect(await store.consume(issued.state)).toEqual({ ok: false, reason: "used" });
  });

  it("concurrent redemptions: exactly one wins", async () => {
    const store = createAuthStateStore({ db, cipher, clock });
    const issued = await store.issue({ organizationId: "tid-1", userId });
    const results = await Promise.all([1, 2, 3, 4].map(() => store.consume(issued.state)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it("expires after 10 minutes", async () => {
    const store = createAuthStateStore({ db, cipher, clock });
    const issued = await store.issue({ organizationId: "tid-1", userId });
    clock.advance(10 * 60_000 + 1);
    expect(await store.consume(issued.state)).toEqual({ ok: false, reason: "expired" });
  });

  it("a state signed with another server's key is not ours", async () => {
    const other = createAuthStateStore({ db, cipher: createTokenCipher(crypto.randomBytes(32)), clock });
    const issued = await other.issue({ organizationId: "tid-1", userId });
    expect(await createAuthStateStore({ db, cipher, clock }).consume(issued.state)).toEqual({
      ok: false,
      reason: "invalid",
    });
  });
});
