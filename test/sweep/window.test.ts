import { computeWindow } from "../../server/sweep/window";

const H = 3600_000;
const now = new Date("2026-11-26T12:00:00Z");
const base = { now, windowHours: 24, overlapMinutes: 15 };

describe("computeWindow", () => {
  it("covers the last 24 hours in steady state (last success an hour ago)", () => {
    const w = computeWindow({
      ...base,
      lastSuccessWindowEnd: "2026-11-26T11:00:00Z",
      connectedAt: "2026-10-01T00:00:00Z",
    });
    expect(w.end.toISOString()).toBe(now.toISOString());
    expect(w.start.toISOString()).toBe(new Date(now.getTime() - 24 * H).toISOString());
  });

  it("reaches back to the last success minus the overlap after an outage longer than the window", () => {
    const w = computeWindow({
      ...base,
      lastSuccessWindowEnd: "2026-11-24T09:00:00Z",
      connectedAt: "2026-10-01T00:00:00Z",
    });
    expect(w.start.toISOString()).toBe("2026-11-24T08:45:00.000Z");
  });

  it("never starts earlier than 24 hours before the connection", () => {
    const w = computeWindow({
      ...base,
      lastSuccessWindowEnd: "2026-11-20T00:00:00Z",
      connectedAt: "2026-11-25T08:00:00Z",
    });
    expect(w.start.toISOString()).toBe("2026-11-24T08:00:00.000Z");
  });

  it("a first sweep (no success yet) covers the whole backfill since connecting", () => {
    const w = computeWindow({ ...base, lastSuccessWindowEnd: null, connectedAt: "2026-11-25T08:00:00Z" });
    expect(w.start.toISOString()).toBe("2026-11-24T08:00:00.000Z");
    const fresh = computeWindow({ ...base, lastSuccessWindowEnd: null, connectedAt: now.toISOString() });
    expect(fresh.start.toISOString()).toBe("2026-11-25T12:00:00.000Z");
  });

  it("honours a configured window length", () => {
    const w = computeWindow({
      ...base,
      windowHours: 48,
      lastSuccessWindowEnd: "2026-11-26T11:00:00Z",
      connectedAt: null,
    });
    expect(w.start.toISOString()).toBe("2026-11-24T12:00:00.000Z");
  });

  it("never inverts (connectedAt in the future)", () => {
    const w = computeWindow({ ...base, lastSuccessWindowEnd: null, connectedAt: "2026-11-28T00:00:00Z" });
    expect(w.start.getTime()).toBe(w.end.getTime());
  });
});
