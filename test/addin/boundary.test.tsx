/** @jest-environment jsdom */
// A lazy part of the pane that fails to load (its chunk didn't download) shows "couldn't load" with
// Retry, the rest of the pane keeps working, and Retry loads it again.
import { configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { ErrorBoundary } from "../../addin/components/ErrorBoundary";
import { FakeBackend, installOutlook, meResponse, renderPane, statusResponse, uninstallOutlook } from "./helpers";

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(20000);

// Each lazy chunk fails while its flag is set: requiring the module throws, as a failed chunk load does.
// Jest keeps no module whose factory threw, so the next import() asks again, like webpack does.
const mockChunks = { contacts: true, track: true, health: true };
// How often the mailbox-health module was asked for: a static import anywhere in the pane would ask
// when the pane loads, which in the webpack build puts the view in the first-render bundle.
const mockChunkRequests = { health: 0 };
jest.mock("../../addin/components/ContactsView", () => {
  if (mockChunks.contacts) throw Object.assign(new Error("Loading chunk contacts failed."), { name: "ChunkLoadError" });
  return jest.requireActual("../../addin/components/ContactsView");
});
jest.mock("../../addin/components/MailboxHealthView", () => {
  mockChunkRequests.health++;
  if (mockChunks.health)
    throw Object.assign(new Error("Loading chunk mailbox-health failed."), { name: "ChunkLoadError" });
  return jest.requireActual("../../addin/components/MailboxHealthView");
});
jest.mock("../../addin/components/TrackDialog", () => {
  if (mockChunks.track) throw Object.assign(new Error("Loading chunk track failed."), { name: "ChunkLoadError" });
  return jest.requireActual("../../addin/components/TrackDialog");
});

beforeEach(() => {
  mockChunks.contacts = true;
  mockChunks.track = true;
  mockChunks.health = true;
  // React reports errors caught by a boundary on console.error; expected here.
  jest.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  uninstallOutlook();
  document.body.innerHTML = "";
  jest.restoreAllMocks();
});

function backend() {
  return new FakeBackend()
    .on("GET", "/api/me", { body: meResponse("active") })
    .on("POST", "/api/messages/status", { body: statusResponse("not_captured") })
    .on("GET", "/api/contacts", { body: { items: [], nextCursor: null } })
    .on("GET", "/api/clients", { body: [] });
}

test("the contacts chunk fails: a message with Retry in its tab, the rest of the pane works, Retry loads it", async () => {
  installOutlook();
  renderPane(backend());
  fireEvent.click(await screen.findByRole("tab", { name: "Contacts" }));
  const alert = await screen.findByRole("alert");
  expect(within(alert).getByText("This part of the pane couldn't load.")).toBeTruthy();
  // The rest of the pane is still there and usable.
  expect(screen.getByRole("heading", { level: 1, name: "Engagement Capture" })).toBeTruthy();
  fireEvent.click(screen.getByRole("tab", { name: "This message" }));
  expect(await screen.findByRole("heading", { name: /^Not captured/ })).toBeTruthy();

  fireEvent.click(screen.getByRole("tab", { name: "Contacts" }));
  mockChunks.contacts = false;
  fireEvent.click(within(await screen.findByRole("alert")).getByRole("button", { name: "Retry" }));
  expect(await screen.findByRole("searchbox", { name: "Search contacts" })).toBeTruthy();
  expect(screen.queryByRole("alert")).toBeNull();
});

test("the track dialog's chunk fails: the message view stays, Retry opens the dialog", async () => {
  installOutlook();
  renderPane(backend());
  const people = within(await screen.findByRole("list", { name: "People on this message" }));
  fireEvent.click(people.getByRole("button", { name: "Track bob@globex.com" }));
  const alert = await screen.findByRole("alert");
  expect(within(alert).getByText("This part of the pane couldn't load.")).toBeTruthy();
  expect(screen.getByRole("region", { name: /^Not captured/ })).toBeTruthy();

  mockChunks.track = false;
  fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
  expect(await screen.findByRole("dialog", { hidden: true })).toBeTruthy();
  await waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
});

test("the mailbox-health view is its own chunk: not asked for until an administrator opens it; when it fails, Retry loads it", async () => {
  installOutlook();
  const api = backend()
    .on("GET", "/api/me", { body: meResponse("active", {}, { isAdmin: true }) })
    .on("GET", "/api/organization/sharing", {
      body: { defaultLevel: "metadata", usersMayChange: true, integrationLevel: "everything" },
    })
    .on("GET", "/api/connections", {
      body: {
        items: [],
        nextCursor: null,
        counts: { active: 1, reauth_required: 0, not_connected: 0, disconnected: 0 },
      },
    });
  renderPane(api);
  expect(await screen.findByRole("heading", { name: /^Not captured/ })).toBeTruthy();
  fireEvent.click(screen.getByRole("tab", { name: "Contacts" }));
  await screen.findByRole("tabpanel", { name: "Contacts" });
  expect(mockChunkRequests.health).toBe(0);

  fireEvent.click(screen.getByRole("tab", { name: "Mailboxes" }));
  const alert = await screen.findByRole("alert");
  expect(within(alert).getByText("This part of the pane couldn't load.")).toBeTruthy();
  expect(mockChunkRequests.health).toBeGreaterThan(0);
  mockChunks.health = false;
  fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
  expect(await screen.findByRole("region", { name: "Mailbox health" })).toBeTruthy();
  expect(await screen.findByText("1 connected · 0 need reconnecting")).toBeTruthy();
  expect(screen.queryByRole("alert")).toBeNull();
});

test("the boundary at any level: a render error shows the message; Retry renders the children again", async () => {
  let broken = true;
  function Fragile() {
    if (broken) throw new Error("render failed");
    return <p>Recovered</p>;
  }
  const onRetry = jest.fn(() => (broken = false));
  render(
    <>
      <ErrorBoundary onRetry={onRetry}>
        <Fragile />
      </ErrorBoundary>
      <p>Sibling</p>
    </>,
  );
  expect(screen.getByText("This part of the pane couldn't load.")).toBeTruthy();
  expect(screen.getByText("Sibling")).toBeTruthy();
  fireEvent.click(screen.getByRole("button", { name: "Retry" }));
  expect(await screen.findByText("Recovered")).toBeTruthy();
  expect(onRetry).toHaveBeenCalledTimes(1);
});
