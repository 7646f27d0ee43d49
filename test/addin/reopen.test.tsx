/** @jest-environment jsdom */
import { configure, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { FakeBackend, focusDialog, installOutlook, meResponse, renderPane, statusResponse } from "./helpers";
configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(20000);
test("the track dialog can be opened, cancelled and opened again, and stays accessible", async () => {
  installOutlook();
  const backend = new FakeBackend()
    .on("GET", "/api/me", { body: meResponse("active") })
    .on("POST", "/api/messages/status", { body: statusResponse("not_captured") })
    .on("GET", "/api/clients", { body: [] });
  renderPane(backend);
  for (let i = 0; i < 2; i++) {
    const people = within(await screen.findByRole("list", { name: "People on this message" }));
    fireEvent.click(people.getByRole("button", { name: "Track bob@globex.com" }));
    const dialog = await focusDialog();
    expect(dialog.getByRole("combobox", { name: /Client/ })).toBeTruthy();
    fireEvent.click(dialog.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { hidden: true })).toBeNull());
  }
});
