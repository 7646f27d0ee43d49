/**
 * Every worked case of the shared capture fixture, each as its own named test.
 * The fixture lists folders by well-known name or display name; here they become FolderFacts.
 */
import fixture from "../fixtures/capture-cases.json";
import { decideCapture, indexContacts, WELL_KNOWN_FOLDERS, type FolderFacts, type MessageFacts } from "../../shared/capture";

interface FixtureMessage {
  folderPath: string[];
  folderClass?: string;
  messageClass: string;
  isDraft: boolean;
  from: string | null;
  to: string[];
  cc: string[];
  bcc: string[];
  sentDateTime: string | null;
  receivedDateTime: string | null;
}

export function toFolderFacts(path: string[], lastClass?: string): FolderFacts[] {
  return path.map((name, i) => ({
    wellKnownName: (WELL_KNOWN_FOLDERS as readonly string[]).includes(name) ? name : null,
    displayName: name,
    containerClass: i === path.length - 1 ? (lastClass ?? null) : null,
  }));
}

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
  for (const c of fixture.cases) {
    test(c.name, () => {
      const d = decideCapture(toFacts(c.message as FixtureMessage), ctx);
      const expected = c.expect as { outcome: string; reason?: string };
      expect({ outcome: d.outcome, reason: d.reason ?? undefined }).toEqual({ outcome: expected.outcome, reason: expected.reason });
      expect(d.explanation.length).toBeGreaterThan(10);
    });
  }
});
