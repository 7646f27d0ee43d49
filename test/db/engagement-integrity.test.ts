/**
 * A Message-ID is chosen by the sender, so copies of it merge into one engagement only when they
 * agree on sender, sent time and participants. A forged copy, stored before or after the real one,
 * never changes the real engagement's content nor links contacts to it. On every available database.
 */
import { Migrator, type Kysely } from "kysely";
import { databaseTargets, type TestDatabase } from "./databases";
import { migrateToLatest, type Db } from "../../server/db";
import { migrations } from "../../server/db/migrations";
import { copyFingerprint } from "../../server/store/engagement-copies";
import { provisionUser } from "../../server/store/users";
import { createContact } from "../../server/store/contacts";
import {
  capBody,
  getDecision,
  messageKey,
  recordCaptureBatch,
  STORED_BODY_MAX_BYTES,
  type CaptureItem,
} from "../../server/store/capture-decisions";
import { getEngagementView, listEngagements } from "../../server/store/engagements";
import type { Participant } from "../../server/store/engagements";

const T0 = "2026-11-26T12:00:00.000Z";
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const IMID = "<invoice-42@acme.com>";

interface Copy {
  from?: string;
  to?: string[];
  cc?: string[];
  sentAt?: string;
  subject?: string;
  body?: string;
}

const REAL: Required<Copy> = {
  from: "alice@acme.com",
  to: ["dana@contoso.com", "lee@contoso.com"],
  cc: [],
  sentAt: at(0),
  subject: "Invoice 42",
  body: "Please find invoice 42 attached.",
};

function copy(c: Copy, graphMessageId: string, contactIds: string[]): CaptureItem {
  const v = { ...REAL, ...c };
  const participants: Participant[] = [
    { address: v.from, name: null, role: "from" },
    ...v.to.map((address): Participant => ({ address, name: null, role: "to" })),
    ...v.cc.map((address): Participant => ({ address, name: null, role: "cc" })),
  ];
  return {
    outcome: "captured",
    engagement: {
      internetMessageId: IMID,
      conversationId: null,
      subject: v.subject,
      bodyText: v.body,
      bodyPreview: v.body.slice(0, 50),
      direction: "inbound",
      messageTime: v.sentAt,
      sentAt: v.sentAt,
      receivedAt: v.sentAt,
      fromAddress: v.from,
      participants,
    },
    graphMessageId,
    webLink: null,
    contactIds,
  };
}

function withMessageId(item: CaptureItem, internetMessageId: string): CaptureItem {
  if (item.outcome !== "captured") return item;
  return { ...item, engagement: { ...item.engagement, internetMessageId } };
}

const FORGED: Copy = {
  from: "alice@acme.com",
  to: ["dana@contoso.com", "mallory@evil.example"],
  subject: "Invoice 42 (updated bank details)",
  body: "Pay invoice 42 to IBAN XX00 EVIL.",
};

for (const target of databaseTargets()) {
  const d = target.available ? describe : describe.skip;
  d(
    `engagement integrity on ${target.name}${target.available ? "" : " (skipped: set TEST_DATABASE_URL to run it)"}`,
    () => {
      let h: TestDatabase;
      let db: Db;
      beforeAll(async () => {
        h = await target.open();
        db = h.db;
      }, 30_000);
      afterAll(async () => {
        await h?.close();
      });

      let n = 0;
      async function org() {
        n++;
        const orgId = `tid-int-${target.name}-${n}-${Math.random().toString(36).slice(2, 8)}`;
        const dana = await provisionUser(
          db,
          { organizationId: orgId, oid: "dana", email: "dana@contoso.com", displayName: "Dana" },
          T0,
        );
        const lee = await provisionUser(
          db,
          { organizationId: orgId, oid: "lee", email: "lee@contoso.com", displayName: "Lee" },
          T0,
        );
        const alice = await createContact(db, orgId, { email: "alice@acme.com" }, T0);
        const mallory = await createContact(db, orgId, { email: "mallory@evil.example" }, T0);
        const store = (userId: string, item: CaptureItem, minutes: number) =>
          db.transaction().execute((trx) => recordCaptureBatch(trx, orgId, userId, null, [item], at(minutes)));
        return { orgId, dana: dana.id, lee: lee.id, alice: alice.id, mallory: mallory.id, store };
      }

      test("a forged copy stored FIRST does not become the real message's engagement", async () => {
        const o = await org();
        const [forged] = await o.store(o.dana, copy(FORGED, "g-dana-forged", [o.alice, o.mallory]), 1);
        const [real] = await o.store(o.lee, copy({}, "g-lee-real", [o.alice]), 2);
        expect(real.engagementCreated).toBe(true);
        expect(real.engagementId).not.toBe(forged.engagementId);

        const view = (await getEngagementView(db, o.orgId, { kind: "app" }, real.engagementId!))!;
        expect(view).toMatchObject({
          subject: "Invoice 42",
          bodyText: REAL.body,
          internetMessageId: IMID,
          conflictsWith: [forged.engagementId],
        });
        expect(view.contacts.map((c) => c.email)).toEqual(["alice@acme.com"]);
        expect(view.mailboxes.map((m) => m.userId)).toEqual([o.lee]);
        // Lee's status answers from Lee's own copy; Dana's from hers.
        expect((await getDecision(db, o.orgId, o.lee, messageKey(IMID)))?.engagementId).toBe(real.engagementId);
        expect((await getDecision(db, o.orgId, o.dana, messageKey(IMID)))?.engagementId).toBe(forged.engagementId);
        const list = await listEngagements(db, o.orgId, { kind: "app" }, { limit: 10 });
        expect(list.items.map((e) => e.id).sort()).toEqual([forged.engagementId, real.engagementId].sort());
      });

      test("a forged copy stored AFTER the real one changes nothing on it and links no contact to it", async () => {
        const o = await org();
        const [real] = await o.store(o.lee, copy({}, "g-lee-real", [o.alice]), 1);
        const before = (await getEngagementView(db, o.orgId, { kind: "app" }, real.engagementId!))!;
        for (const [i, forgedVariant] of [
          FORGED,
          { ...REAL, from: "alice@acme.example" }, // another sender
          { ...REAL, sentAt: at(3), body: "Sent later" }, // sent three minutes apart
          { ...REAL, cc: ["mallory@evil.example"] }, // an extra participant
          { ...REAL, to: ["dana@contoso.com"] }, // a participant fewer
        ].entries()) {
          const [forged] = await o.store(
            o.dana,
            copy(forgedVariant, `g-dana-forged-${i}`, [o.alice, o.mallory]),
            2 + i,
          );
          expect(forged.engagementId).not.toBe(real.engagementId);
          expect(forged.engagementCreated).toBe(true);
        }
        const after = (await getEngagementView(db, o.orgId, { kind: "app" }, real.engagementId!))!;
        expect({ ...after, conflictsWith: [] }).toEqual({ ...before, conflictsWith: [] });
        expect(after.contacts.map((c) => c.email)).toEqual(["alice@acme.com"]);
        expect(after.mailboxes.map((m) => m.userId)).toEqual([o.lee]);
        expect(after.conflictsWith).toHaveLength(5);
        const rows = await db
          .selectFrom("engagements")
          .select(["id", "internetMessageId"])
          .where("organizationId", "=", o.orgId)
          .execute();
        expect(rows).toHaveLength(6);
        expect(new Set(rows.map((r) => r.internetMessageId))).toEqual(new Set([IMID]));
      });

      test("one mailbox holding the real message and a forgery: its decision keeps the copy stored first, re-runs change nothing", async () => {
        const o = await org();
        const items = [copy({}, "g-dana-real", [o.alice]), copy(FORGED, "g-dana-forged", [o.alice, o.mallory])];
        const first = await db
          .transaction()
          .execute((trx) => recordCaptureBatch(trx, o.orgId, o.dana, null, items, at(1)));
        expect(first[0].engagementId).not.toBe(first[1].engagementId);
        const decision = await getDecision(db, o.orgId, o.dana, messageKey(IMID));
        expect(decision?.engagementId).toBe(first[0].engagementId);
        await db
          .transaction()
          .execute((trx) => recordCaptureBatch(trx, o.orgId, o.dana, null, [...items].reverse(), at(60)));
        expect(await getDecision(db, o.orgId, o.dana, messageKey(IMID))).toEqual(decision);
        const real = (await getEngagementView(db, o.orgId, { kind: "app" }, first[0].engagementId!))!;
        expect(real.contacts.map((c) => c.email)).toEqual(["alice@acme.com"]);
        expect(real.mailboxes.map((m) => m.userId)).toEqual([o.dana]);
      });

      test("agreeing copies (teammates' mailboxes, sent-time jitter within tolerance, other case and order) still merge", async () => {
        const o = await org();
        const [first] = await o.store(o.dana, copy({}, "g-dana", [o.alice]), 1);
        const jittered = copy(
          {
            sentAt: new Date(Date.parse(REAL.sentAt) + 90_000).toISOString(),
            to: ["LEE@Contoso.com", "dana@contoso.com"],
            subject: "other words",
            body: "other body",
          },
          "g-lee",
          [o.alice],
        );
        const [second] = await o.store(o.lee, jittered, 2);
        expect(second).toMatchObject({ engagementId: first.engagementId, engagementCreated: false });
        const view = (await getEngagementView(db, o.orgId, { kind: "app" }, first.engagementId!))!;
        // Content from the first copy; both mailboxes recorded.
        expect(view).toMatchObject({ subject: "Invoice 42", bodyText: REAL.body, conflictsWith: [] });
        expect(view.mailboxes.map((m) => m.userId).sort()).toEqual([o.dana, o.lee].sort());
        // Stored again: nothing new.
        const [again] = await o.store(o.lee, jittered, 3);
        expect(again).toMatchObject({ engagementId: first.engagementId, engagementCreated: false });
        expect((await listEngagements(db, o.orgId, { kind: "app" }, { limit: 10 })).items).toHaveLength(1);
      });

      test("concurrent agreeing copies from two mailboxes (jittered sent times) become one engagement", async () => {
        const o = await org();
        const jitter = (s: number) => new Date(Date.parse(REAL.sentAt) + s * 1000).toISOString();
        await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            o.store(i % 2 ? o.dana : o.lee, copy({ sentAt: jitter(i * 7) }, `g-${i}`, [o.alice]), 1),
          ),
        );
        expect((await listEngagements(db, o.orgId, { kind: "app" }, { limit: 10 })).items).toHaveLength(1);
      });

      test("migration 0006 keeps every engagement and its links, fingerprints them, and lets copies of one Message-ID coexist", async () => {
        // Its own database: undoing 0006 needs one engagement per Message-ID, which the other tests do not leave.
        const outer = { h, db };
        h = await target.open();
        db = h.db;
        const o = await org();
        const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
        expect((await migrator.migrateTo("0005_client_name_key")).error).toBeUndefined();
        try {
          // Before 0006 the table has no fingerprint or truncated flag: insert through an untyped handle.
          const untyped = db as unknown as Kysely<Record<string, Record<string, string | null>>>;
          const ids = ["legacy-a", "legacy-b"].map((x) => `${x}-${o.orgId}`);
          const participants = JSON.stringify([
            { address: "alice@acme.com", name: null, role: "from" },
            { address: "dana@contoso.com", name: null, role: "to" },
          ]);
          await untyped
            .insertInto("engagements")
            .values(
              ids.map((id, i) => ({
                id,
                organizationId: o.orgId,
                internetMessageId: `<legacy-${i}@acme.com>`,
                conversationId: null,
                subject: `Legacy ${i}`,
                bodyText: "old body",
                bodyPreview: null,
                direction: "inbound",
                messageTime: at(i),
                sentAt: at(i),
                receivedAt: at(i),
                fromAddress: "alice@acme.com",
                participants,
                createdAt: at(i),
              })),
            )
            .execute();
          await untyped
            .insertInto("engagementContacts")
            .values({ organizationId: o.orgId, engagementId: ids[0], contactId: o.alice })
            .execute();
          await untyped
            .insertInto("engagementMailboxes")
            .values({
              organizationId: o.orgId,
              engagementId: ids[0],
              userId: o.dana,
              graphMessageId: "g-legacy",
              webLink: null,
              createdAt: T0,
            })
            .execute();
          await untyped
            .insertInto("captureDecisions")
            .values({
              id: `d-${o.orgId}`,
              organizationId: o.orgId,
              userId: o.dana,
              messageKey: messageKey("<legacy-0@acme.com>"),
              outcome: "captured",
              reason: null,
              detail: null,
              engagementId: ids[0],
              sweepId: null,
              decidedAt: T0,
            })
            .execute();
          await migrateToLatest(db);

          const rows = await db
            .selectFrom("engagements")
            .selectAll()
            .where("organizationId", "=", o.orgId)
            .orderBy("id")
            .execute();
          expect(rows.map((r) => [r.id, r.subject, r.bodyText, r.bodyTruncated])).toEqual([
            [ids[0], "Legacy 0", "old body", 0],
            [ids[1], "Legacy 1", "old body", 0],
          ]);
          expect(rows[0].copyFingerprint).toBe(
            copyFingerprint({
              fromAddress: "alice@acme.com",
              participants: JSON.parse(participants),
              sentAt: at(0),
              messageTime: at(0),
            }),
          );
          const view = (await getEngagementView(db, o.orgId, { kind: "app" }, ids[0]))!;
          expect(view.contacts.map((c) => c.id)).toEqual([o.alice]);
          expect(view.mailboxes).toMatchObject([{ userId: o.dana, webLink: null }]);
          expect((await getDecision(db, o.orgId, o.dana, messageKey("<legacy-0@acme.com>")))?.engagementId).toBe(
            ids[0],
          );
          // An agreeing copy merges into the migrated row; a disagreeing one is a second engagement of the same Message-ID.
          const legacyCopy = (c: Copy, g: string) => {
            const item = copy({ to: ["dana@contoso.com"], sentAt: at(0), ...c }, g, [o.alice]) as Extract<
              CaptureItem,
              { outcome: "captured" }
            >;
            return { ...item, engagement: { ...item.engagement, internetMessageId: "<legacy-0@acme.com>" } };
          };
          expect((await o.store(o.lee, legacyCopy({}, "g-lee"), 5))[0]).toMatchObject({
            engagementId: ids[0],
            engagementCreated: false,
          });
          expect((await o.store(o.lee, legacyCopy({ from: "alice@acme.example" }, "g-lee-2"), 6))[0]).toMatchObject({
            engagementCreated: true,
          });
          // Now 0006 cannot be undone, and refusing leaves the schema as it was.
          expect((await migrator.migrateTo("0005_client_name_key")).error).toBeDefined();
          expect(
            await db
              .selectFrom("engagements")
              .select("copyFingerprint")
              .where("organizationId", "=", o.orgId)
              .execute(),
          ).toHaveLength(3);
        } finally {
          await h.close();
          ({ h, db } = outer);
        }
      });

      test("a 10 MB body is stored capped at 256 KiB with truncated set; short bodies are whole", async () => {
        const o = await org();
        const huge = "€".repeat(3_500_000); // 10.5 MB of UTF-8, three bytes a character
        const [big] = await o.store(o.dana, copy({ body: huge }, "g-big", [o.alice]), 1);
        const view = (await getEngagementView(db, o.orgId, { kind: "app" }, big.engagementId!))!;
        expect(view.truncated).toBe(true);
        expect(Buffer.byteLength(view.bodyText!, "utf8")).toBeLessThanOrEqual(STORED_BODY_MAX_BYTES);
        expect(Buffer.byteLength(view.bodyText!, "utf8")).toBeGreaterThan(STORED_BODY_MAX_BYTES - 4);
        expect(huge.startsWith(view.bodyText!)).toBe(true); // cut at a character, not inside one
        const [small] = await o.store(o.dana, withMessageId(copy({}, "g-small", [o.alice]), "<small@acme.com>"), 2);
        expect(await getEngagementView(db, o.orgId, { kind: "app" }, small.engagementId!)).toMatchObject({
          truncated: false,
          bodyText: REAL.body,
        });
      });
    },
  );
}

test("capBody: exactly at the cap is whole, one byte over is cut", () => {
  const at = "a".repeat(STORED_BODY_MAX_BYTES);
  expect(capBody(at)).toEqual({ text: at, truncated: false });
  expect(capBody(`${at}b`)).toEqual({ text: at, truncated: true });
  expect(capBody(null)).toEqual({ text: null, truncated: false });
});
