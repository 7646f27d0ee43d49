/**
 * Graph traffic of a busy mailbox (2,000 messages a day, from the emulator's generator), counted by
 * the emulator: at most one request per 1,000 listed messages plus one per 20 captured bodies.
 *
 * First-sweep overhead (once a day per mailbox, then cached on the connection): one $batch resolving
 * the 12 excluded well-known folders, one top-level folder list (RSS Feeds by container class) and one
 * childFolders list per excluded folder that has subfolders (here Sync Issues and Conversation History).
 */
import { generateMailbox } from "../../emulator/generator";
import { startSweepHarness, TENANT, type SweepHarness } from "./harness";

jest.setTimeout(120_000);

let s: SweepHarness;
afterAll(async () => {
  await s?.close();
});

test("a 2,000-message-per-day mailbox: one request per 1,000 listed plus one per 20 captured bodies", async () => {
  s = await startSweepHarness();
  s.setTime("2026-11-20T09:00:00.000Z");
  const gen = generateMailbox({
    tenantId: TENANT,
    users: 1,
    messagesPerDay: 2000,
    days: 1,
    domain: "contoso.com",
    seed: 7,
    userIdPrefix: "9a9a0000",
  });
  const user = gen.users[0];
  const st = s.h.emulator.state;
  const userId = await s.connect(user);
  for (const c of gen.trackedContacts) await s.addContact(c, "2026-01-01T00:00:00Z");
  st.loadDataset({ messages: gen.dataset.messages });
  s.advance(60_000);

  st.resetCounts();
  const first = await (await s.sweeps.sweepNow(s.orgId, userId, "manual")).done;
  expect(first.status).toBe("succeeded");
  expect(first.listed).toBe(2000);
  expect(first.captured).toBeGreaterThan(300);
  let counts = st.requestCounts(user.id);
  const folderOverhead = counts.byKind.folders + 1; // + the one $batch of well-known names
  expect(counts.byKind.list).toBe(Math.ceil(first.listed / 1000));
  expect(counts.byKind.batch).toBe(1 + Math.ceil(first.captured / 20));
  expect(folderOverhead).toBeLessThanOrEqual(4);
  const graph = (c: typeof counts) => c.total - c.byKind.token - c.byKind.authorize;
  expect(graph(counts)).toBe(Math.ceil(first.listed / 1000) + Math.ceil(first.captured / 20) + folderOverhead);
  expect(first.graphRequests).toBe(graph(counts));

  // An hour later, 83 more messages (about 2,000 a day): cached folders, only new captured bodies.
  s.advance(3600_000);
  const more = generateMailbox({
    tenantId: TENANT,
    users: 1,
    messagesPerDay: 2000,
    days: 1 / 24,
    seed: 8,
    userIdPrefix: "9a9a0000",
  });
  st.loadDataset({ messages: (more.dataset.messages ?? []).map((m) => ({ ...m, internetMessageId: undefined })) });
  st.resetCounts();
  const second = await (await s.sweeps.sweepNow(s.orgId, userId, "schedule")).done;
  expect(second.status).toBe("succeeded");
  const engagementsAfter = (await s.engagementIds()).length;
  const newlyCaptured = engagementsAfter - first.captured;
  counts = st.requestCounts(user.id);
  expect(counts.byKind.folders).toBe(0);
  expect(graph(counts)).toBeLessThanOrEqual(Math.ceil(second.listed / 1000) + Math.ceil(newlyCaptured / 20));
  expect(graph(counts)).toBe(counts.byKind.list + counts.byKind.batch);
});
