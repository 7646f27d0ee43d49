/**
 * Every worked case of the shared capture fixture, each as its own named test.
 * The fixture lists folders by well-known name or display name; here they become FolderFacts.
 */
import { decideCapture, indexContacts, type MessageFacts } from "../../shared/capture";
import { fixture, fixtureCases, toFolderFacts, type FixtureMessage } from "../fixtures/capture-fixture";

function toFacts(m: FixtureMessage): MessageFacts {
  return { ...m, folderPath: toFolderFacts(m.folderPath, m.folderClass) };
}

const ctx = {
  userAddresses: fixture.user.addresses,
  connectedAt: fixture.user.connectedAt,
  contacts: indexContacts(fixture.contacts),
  blocklist: fixture.blocklist,
  now: fixture.now,
};

describe("capture fixture (../shared/fixtures/capture-cases.json)", () => {
  it("has the 30 worked cases", () => expect(fixture.cases).toHaveLength(30));
  for (const c of fixtureCases) {
    test(c.name, () => {
      const d = decideCapture(toFacts(c.message), ctx);
      const expected = c.expect;
      expect({ outcome: d.outcome, reason: d.reason ?? undefined }).toEqual({
        outcome: expected.outcome,
        reason: expected.reason,
      });
      expect(d.explanation.length).toBeGreaterThan(10);
    });
  }
});
