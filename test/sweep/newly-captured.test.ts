/**
 * A sweep's newlyCaptured counts what it added: a full re-read of mail captured before (a reconnect, a
 * rule change) captures it again in `captured` but adds nothing new. End to end against the emulator.
 */
import { DANA, startSweepHarness, type SweepHarness } from "./harness";

jest.setTimeout(60_000);

const T0 = "2026-11-20T09:00:00.000Z";
const H = 3600_000;

describe("newlyCaptured", () => {
  let s: SweepHarness;
  let dana: string;
  afterEach(async () => {
    await s?.close();
  });

  function mail(from: string, receivedMs: number, imid: string) {
    const t = new Date(Date.parse(T0) + receivedMs).toISOString();
    return s.h.emulator.state.addMessage(DANA.id, {
      from,
      to: ["dana@contoso.com"],
      subject: imid,
      body: `Body of ${imid}`,
      receivedDateTime: t,
      sentDateTime: t,
      lastModifiedDateTime: t,
      internetMessageId: imid,
    });
  }
  const sweep = async (full = false) => await (await s.sweeps.sweepNow(s.orgId, dana, "manual", { full })).done;

  test("the first sweep's captures are new; a full re-read finds them again but adds none; a new mail is one", async () => {
    s = await startSweepHarness();
    s.setTime(T0);
    dana = await s.connect(DANA);
    await s.addContact("alice@acme.com", "2026-01-01T00:00:00Z");
    s.advance(H);
    for (let i = 0; i < 6; i++)
      mail(i < 4 ? "alice@acme.com" : `stranger${i}@example.net`, H - (i + 1) * 5 * 60_000, `<m-${i}@t>`);

    expect(await sweep()).toMatchObject({ status: "succeeded", captured: 4, newlyCaptured: 4 });

    s.advance(H);
    expect(await sweep(true)).toMatchObject({ status: "succeeded", captured: 4, newlyCaptured: 0 });

    s.advance(H);
    mail("alice@acme.com", 2 * H + 10 * 60_000, "<m-new@t>");
    expect(await sweep(true)).toMatchObject({ status: "succeeded", captured: 5, newlyCaptured: 1 });
  });
});
