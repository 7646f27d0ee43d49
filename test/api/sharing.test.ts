/**
 * Sharing levels on SQLite and PostgreSQL, through every operation that answers with an engagement (list,
 * get, a contact's and a client's history, the changes feed, message status): what a teammate, an
 * administrator, an application and another organization see of engagements captured from someone
 * else's mailbox, as levels change. Subjects and bodies are unique markers, so "no leak" is checked on the
 * raw answer text, not on the fields the test happens to know about.
 */
import { ADMIN_APP_ROLE, APP_READ_ROLE } from "../../shared/api/roles";
import { recordCaptureBatch, type CaptureItem } from "../../server/store/capture-decisions";
import { saveConnection } from "../../server/store/mailbox-connections";
import { provisionUser } from "../../server/store/users";
import { databaseTargets } from "../db/databases";
import { CLIENT_ID, TENANT_A, TENANT_B, createHarness, type Harness } from "./harness";

const secret = (n: number) => ({ subject: `SUBJ-${n}-7f3a`, body: `BODY-${n}-9c1e` });

function item(n: number, graphId = `g${n}`): CaptureItem {
  const { subject, body } = secret(n);
  return {
    outcome: "captured",
    engagement: {
      internetMessageId: `<share${n}@acme.example>`,
      conversationId: null,
      subject,
      bodyText: `${body} full text`,
      bodyPreview: body,
      direction: "inbound",
      messageTime: `2026-11-26T10:00:0${n}.000Z`,
      sentAt: null,
      receivedAt: `2026-11-26T10:00:0${n}.000Z`,
      fromAddress: "ceo@acme.example",
      participants: [
        { address: "ceo@acme.example", name: "The CEO", role: "from" },
        { address: "team@contoso.com", name: null, role: "to" },
      ],
    },
    graphMessageId: graphId,
    webLink: null,
    contactIds: [],
  };
}

interface View {
  id: string;
  subject: string | null;
  bodyPreview: string | null;
  bodyText?: string | null;
  visibility: { level: string; because: string };
  mailboxes: { userId: string; email: string; displayName: string | null; isCaller: boolean; sharing: string }[];
}

const ADMIN = [ADMIN_APP_ROLE];

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`sharing levels on ${target.name}`, () => {
    let t: Harness;
    const users: Record<string, string> = {};
    const ids: Record<number, string> = {};
    let contactId = "";
    let clientId = "";

    const as = (oid: string, roles?: string[]) => ({ oid, roles });
    const appToken = (roles: string[], tenant = TENANT_A) =>
      t.token({
        tid: tenant,
        aud: CLIENT_ID,
        oid: "crm-sp",
        sub: "crm-sp",
        azp: "99999999-8888-7777-6666-555555555555",
        azpacr: "1",
        idtyp: "app",
        scp: undefined,
        preferred_username: undefined,
        name: undefined,
        roles,
      });
    const get = async (path: string, who: { oid?: string; roles?: string[]; token?: string; tenant?: string }) => {
      const res = await t.call("GET", path, who);
      return { status: res.status, text: await res.text() };
    };
    const put = async (path: string, body: unknown, who: { oid?: string; roles?: string[] }) => {
      const res = await t.call("PUT", path, { ...who, body });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
    };
    /** Every answer that carries engagement n, as this caller gets it: raw text, to search for the markers. */
    const everyAnswer = async (n: number, who: { oid?: string; roles?: string[]; token?: string; tenant?: string }) => {
      const id = ids[n];
      const answers = [
        await get("/api/engagements?limit=100", who),
        await get(`/api/engagements/${id}`, who),
        await get(`/api/engagements?contactId=${contactId}&limit=100`, who),
        await get(`/api/engagements?clientId=${clientId}&limit=100`, who),
        await get("/api/engagements/changes?limit=100", who),
      ];
      for (const a of answers) expect(a.status).toBe(200);
      return answers.map((a) => a.text);
    };
    const viewOf = async (n: number, who: { oid?: string; roles?: string[]; token?: string }) => {
      const res = await t.call("GET", `/api/engagements/${ids[n]}`, who);
      expect(res.status).toBe(200);
      return (await res.json()) as View;
    };
    /** What every answer shows of engagement n to this caller: "everything", "subject" or "metadata". */
    const seen = async (n: number, who: { oid?: string; roles?: string[]; token?: string }) => {
      const texts = await everyAnswer(n, who);
      const { subject, body } = secret(n);
      const withSubject = texts.filter((x) => x.includes(subject)).length;
      const withBody = texts.filter((x) => x.includes(body)).length;
      if (withBody === texts.length && withSubject === texts.length) return "everything";
      if (withBody === 0 && withSubject === texts.length) return "subject";
      if (withBody === 0 && withSubject === 0) return "metadata";
      return `inconsistent: subject in ${withSubject}, body in ${withBody} of ${texts.length}`;
    };
    const capture = async (n: number, oid: string) => {
      t.clock.advance(1000); // mailboxes are listed in the order they captured it
      const it = { ...item(n), contactIds: [contactId] };
      const [r] = await t.h.db
        .transaction()
        .execute((trx) => recordCaptureBatch(trx, TENANT_A, users[oid], null, [it], t.clock.now()));
      ids[n] = r.engagementId!;
    };
    const provision = async (oid: string, email: string, name: string) => {
      users[oid] = (
        await provisionUser(t.h.db, { organizationId: TENANT_A, oid, email, displayName: name }, t.clock.now())
      ).id;
      await saveConnection(t.h.db, TENANT_A, users[oid], { homeAccountId: null, tokenCache: null }, t.clock.now());
    };

    beforeAll(async () => {
      t = await createHarness({}, {}, target.open);
      await provision("oid-dana", "dana@contoso.com", "Dana Kim");
      await provision("oid-lee", "lee@contoso.com", "Lee Park");
      await provision("oid-sam", "sam@contoso.com", "Sam Ortiz");
      await provision("oid-ada", "ada@contoso.com", "Ada Admin");
      const client = await t.call("POST", "/api/clients", { body: { name: "Acme" } });
      clientId = ((await client.json()) as { id: string }).id;
      const contact = await t.call("POST", "/api/contacts", { body: { email: "ceo@acme.example", clientId } });
      contactId = ((await contact.json()) as { id: string }).id;
      await capture(1, "oid-lee"); // only in Lee's mailbox
      await capture(2, "oid-lee"); // in Lee's and Sam's
      await capture(2, "oid-sam");
      await capture(3, "oid-dana"); // Dana's own
      // Another organization with the same people's names: never part of anything above.
      await t.call("GET", "/api/me", { tenant: TENANT_B, oid: "oid-eve" });
    });
    afterAll(() => t.close());

    it("by default a teammate sees who and when, and whose mailbox, but no subject or body, through every operation", async () => {
      expect(await seen(1, as("oid-dana"))).toBe("metadata");
      expect(await seen(1, as("oid-ada", ADMIN))).toBe("metadata"); // an administrator is a teammate too
      const view = await viewOf(1, as("oid-dana"));
      expect(view).toMatchObject({
        subject: null,
        bodyPreview: null,
        bodyText: null,
        truncated: false,
        visibility: { level: "metadata", because: "shared" },
        mailboxes: [{ email: "lee@contoso.com", displayName: "Lee Park", isCaller: false, sharing: "metadata" }],
        participants: [{ address: "ceo@acme.example", name: "The CEO", role: "from" }, expect.anything()],
      });
    });

    it("the owner always sees everything of their own", async () => {
      expect(await seen(3, as("oid-dana"))).toBe("everything");
      expect(await seen(1, as("oid-lee"))).toBe("everything");
      expect((await viewOf(1, as("oid-lee"))).visibility).toEqual({ level: "everything", because: "own_mailbox" });
      expect((await viewOf(1, as("oid-lee"))).mailboxes[0]).toMatchObject({ isCaller: true });
    });

    it("a teammate changing their level changes what others see, at once", async () => {
      expect((await put("/api/me/sharing", { level: "subject" }, as("oid-lee"))).body).toEqual({
        level: "subject",
        chosen: "subject",
        organizationDefault: "metadata",
        usersMayChange: true,
      });
      expect(await seen(1, as("oid-dana"))).toBe("subject");
      await put("/api/me/sharing", { level: "everything" }, as("oid-lee"));
      expect(await seen(1, as("oid-dana"))).toBe("everything");
      await put("/api/me/sharing", { level: null }, as("oid-lee"));
      expect(await seen(1, as("oid-dana"))).toBe("metadata");
      const mine = await get("/api/me/sharing", as("oid-lee"));
      expect(JSON.parse(mine.text)).toEqual({
        level: "metadata",
        chosen: null,
        organizationDefault: "metadata",
        usersMayChange: true,
      });
    });

    it("an engagement in several mailboxes is shown at the most generous of their levels", async () => {
      expect(await seen(2, as("oid-dana"))).toBe("metadata");
      await put("/api/me/sharing", { level: "subject" }, as("oid-sam"));
      expect(await seen(2, as("oid-dana"))).toBe("subject");
      await put("/api/me/sharing", { level: "everything" }, as("oid-lee"));
      const view = await viewOf(2, as("oid-dana"));
      expect(view.visibility).toEqual({ level: "everything", because: "shared" });
      expect(view.mailboxes.map((m) => [m.email, m.sharing])).toEqual([
        ["lee@contoso.com", "everything"],
        ["sam@contoso.com", "subject"],
      ]);
      await put("/api/me/sharing", { level: null }, as("oid-lee"));
      await put("/api/me/sharing", { level: null }, as("oid-sam"));
    });

    it("only administrators read and set the organization's sharing; a member is refused", async () => {
      expect((await get("/api/organization/sharing", as("oid-dana"))).status).toBe(403);
      const refused = await put(
        "/api/organization/sharing",
        { defaultLevel: "everything", usersMayChange: true, integrationLevel: "everything" },
        as("oid-dana"),
      );
      expect(refused.status).toBe(403);
      expect(refused.body.error?.code).toBe("forbidden");
      expect(JSON.parse((await get("/api/organization/sharing", as("oid-ada", ADMIN))).text)).toEqual({
        defaultLevel: "metadata",
        usersMayChange: true,
        integrationLevel: "everything",
      });
      for (const bad of [
        { defaultLevel: "all", usersMayChange: true, integrationLevel: "metadata" },
        { defaultLevel: "subject", usersMayChange: "yes", integrationLevel: "metadata" },
        { defaultLevel: "subject", usersMayChange: true },
        { defaultLevel: "subject", usersMayChange: true, integrationLevel: "metadata", extra: 1 },
      ]) {
        const r = await put("/api/organization/sharing", bad, as("oid-ada", ADMIN));
        expect(r.status).toBe(400);
        expect(r.body.error?.code).toEqual(expect.any(String));
      }
      const r = await put("/api/me/sharing", { level: "loud" }, as("oid-lee"));
      expect(r.status).toBe(400);
    });

    it("when the organization forbids changing, every mailbox is at the default and a user's change is refused", async () => {
      await put("/api/me/sharing", { level: "everything" }, as("oid-lee"));
      expect(await seen(1, as("oid-dana"))).toBe("everything");
      const locked = await put(
        "/api/organization/sharing",
        { defaultLevel: "subject", usersMayChange: false, integrationLevel: "everything" },
        as("oid-ada", ADMIN),
      );
      expect(locked.status).toBe(200);
      expect(await seen(1, as("oid-dana"))).toBe("subject");
      const refused = await put("/api/me/sharing", { level: "metadata" }, as("oid-lee"));
      expect(refused.status).toBe(403);
      expect(refused.body.error?.code).toBe("sharing_locked");
      expect(JSON.parse((await get("/api/me/sharing", as("oid-lee"))).text)).toEqual({
        level: "subject",
        chosen: "everything",
        organizationDefault: "subject",
        usersMayChange: false,
      });
      // Allowed again: Lee's own choice applies again.
      await put(
        "/api/organization/sharing",
        { defaultLevel: "metadata", usersMayChange: true, integrationLevel: "everything" },
        as("oid-ada", ADMIN),
      );
      expect(await seen(1, as("oid-dana"))).toBe("everything");
      await put("/api/me/sharing", { level: null }, as("oid-lee"));
    });

    it("the administrator's default applies to a newly connected mailbox", async () => {
      await put(
        "/api/organization/sharing",
        { defaultLevel: "subject", usersMayChange: true, integrationLevel: "everything" },
        as("oid-ada", ADMIN),
      );
      await provision("oid-kim", "kim@contoso.com", "Kim Lee");
      await capture(4, "oid-kim");
      expect(await seen(4, as("oid-dana"))).toBe("subject");
      expect(JSON.parse((await get("/api/me/sharing", as("oid-kim"))).text)).toMatchObject({
        level: "subject",
        chosen: null,
      });
      await put(
        "/api/organization/sharing",
        { defaultLevel: "metadata", usersMayChange: true, integrationLevel: "everything" },
        as("oid-ada", ADMIN),
      );
    });

    it("applications see the organization's integration level, whatever the mailboxes share", async () => {
      const app = { token: await appToken([APP_READ_ROLE]) };
      expect(await seen(1, app)).toBe("everything");
      expect((await viewOf(1, app)).visibility).toEqual({ level: "everything", because: "integration" });
      await put(
        "/api/organization/sharing",
        { defaultLevel: "metadata", usersMayChange: true, integrationLevel: "metadata" },
        as("oid-ada", ADMIN),
      );
      expect(await seen(1, app)).toBe("metadata");
      expect(await seen(3, app)).toBe("metadata");
      await put(
        "/api/organization/sharing",
        { defaultLevel: "metadata", usersMayChange: true, integrationLevel: "subject" },
        as("oid-ada", ADMIN),
      );
      expect(await seen(1, app)).toBe("subject");
      // An application may not read or change sharing settings.
      expect((await get("/api/organization/sharing", app)).status).toBe(403);
      expect((await get("/api/me/sharing", app)).status).toBe(403);
      await put(
        "/api/organization/sharing",
        { defaultLevel: "metadata", usersMayChange: true, integrationLevel: "everything" },
        as("oid-ada", ADMIN),
      );
    });

    it("another organization never sees anything, whatever the levels", async () => {
      await put("/api/me/sharing", { level: "everything" }, as("oid-lee"));
      const eve = { tenant: TENANT_B, oid: "oid-eve" };
      const list = await get("/api/engagements?limit=100", eve);
      expect(JSON.parse(list.text)).toEqual({ items: [], nextCursor: null });
      expect((await get(`/api/engagements/${ids[1]}`, eve)).status).toBe(404);
      const feed = JSON.parse((await get("/api/engagements/changes?limit=100", eve)).text) as { items: unknown[] };
      expect(feed.items).toEqual([]);
      const app = { token: await appToken([APP_READ_ROLE], TENANT_B) };
      expect(JSON.parse((await get("/api/engagements?limit=100", app)).text).items).toEqual([]);
      expect((await get(`/api/engagements/${ids[1]}`, app)).status).toBe(404);
      await put("/api/me/sharing", { level: null }, as("oid-lee"));
    });

    it("message status answers a mailbox's own engagement in full and a teammate's message without its words", async () => {
      const { subject, body } = secret(1);
      const status = async (oid: string) => {
        const res = await t.call("POST", "/api/messages/status", {
          oid,
          body: {
            internetMessageId: "<share1@acme.example>",
            from: { address: "ceo@acme.example" },
            to: [{ address: "team@contoso.com" }],
            receivedDateTime: "2026-11-26T10:00:01.000Z",
          },
        });
        expect(res.status).toBe(200);
        return res.text();
      };
      const lee = await status("oid-lee");
      expect(lee).toContain(subject);
      expect(JSON.parse(lee).engagement.visibility).toEqual({ level: "everything", because: "own_mailbox" });
      const dana = await status("oid-dana");
      expect(dana).not.toContain(subject);
      expect(dana).not.toContain(body);
    });

    it("the OpenAPI description holds no engagement content", async () => {
      const doc = await get("/api/openapi.json", {});
      expect(doc.status).toBe(200);
      for (const n of [1, 2, 3, 4]) {
        expect(doc.text).not.toContain(secret(n).subject);
        expect(doc.text).not.toContain(secret(n).body);
      }
      const parsed = JSON.parse(doc.text) as { components: { schemas: Record<string, unknown> } };
      expect(Object.keys(parsed.components.schemas)).toEqual(
        expect.arrayContaining(["SharingLevel", "OrganizationSharing", "MySharing", "EngagementVisibility"]),
      );
    });
  });
}
