/** @jest-environment jsdom */
/**
 * Sharing levels in the pane: a user chooses what teammates see of their email (where the connection is
 * managed), not when the administrators decide for everyone; an administrator sets the organization's
 * default and whether people may choose; the Connect text says what is shared and why Mail.Send is asked.
 */
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { MySharing, OrganizationSharing } from "../../shared/api/contract";
import { FakeBackend, installOutlook, meResponse, renderPane, setUpPaneTests, statusResponse } from "./helpers";

setUpPaneTests();

function backend(me = meResponse("active")) {
  return new FakeBackend()
    .on("GET", "/api/me", { body: me })
    .on("POST", "/api/messages/status", { body: statusResponse("captured") });
}

const mine = (over: Partial<MySharing> = {}): MySharing => ({
  level: "metadata",
  chosen: null,
  organizationDefault: "metadata",
  usersMayChange: true,
  ...over,
});

async function openMySharing() {
  fireEvent.click(await screen.findByRole("button", { name: "What teammates see of your email" }));
  return within(await screen.findByRole("region", { name: "What teammates see of your email" }));
}

describe("my sharing level", () => {
  test("follows the default until chosen; choosing Everything saves it and says what teammates now see", async () => {
    installOutlook();
    const b = backend()
      .on("GET", "/api/me/sharing", { body: mine() })
      .on("PUT", "/api/me/sharing", (call) => ({
        body: mine({ level: call.body.level ?? "metadata", chosen: call.body.level }),
      }));
    renderPane(b);
    const view = await openMySharing();
    const group = view.getByRole("radiogroup");
    expect(within(group).getByRole("radio", { name: "Your organization's default: who and when" })).toHaveProperty(
      "checked",
      true,
    );
    expect(view.getByText(/Teammates see who took part and when, not the subject or the text\./)).toBeTruthy();
    fireEvent.click(within(group).getByRole("radio", { name: "Everything" }));
    // Checked at once, while it is saved.
    expect(within(group).getByRole("radio", { name: "Everything" })).toHaveProperty("checked", true);
    await waitFor(() => expect(b.callsTo("PUT", "/api/me/sharing")).toHaveLength(1));
    expect(b.callsTo("PUT", "/api/me/sharing")[0].body).toEqual({ level: "everything" });
    expect(await view.findByText(/Teammates see who took part, when, the subject and the text\./)).toBeTruthy();
    await waitFor(() =>
      expect(screen.getByTestId("announcer").textContent).toBe(
        "Saved. Teammates see who took part, when, the subject and the text.",
      ),
    );
    // Back to the default: null, not the default's level.
    fireEvent.click(within(group).getByRole("radio", { name: /^Your organization's default/ }));
    await waitFor(() => expect(b.callsTo("PUT", "/api/me/sharing")).toHaveLength(2));
    expect(b.callsTo("PUT", "/api/me/sharing")[1].body).toEqual({ level: null });
  });

  test("when the administrators decide for everyone: the level in words, no choice offered", async () => {
    installOutlook();
    const b = backend().on("GET", "/api/me/sharing", {
      body: mine({ level: "subject", organizationDefault: "subject", usersMayChange: false }),
    });
    renderPane(b);
    const view = await openMySharing();
    expect(
      view.getByText("Who, when and subject. Your organization's administrators decide this for every mailbox."),
    ).toBeTruthy();
    expect(view.queryByRole("radio")).toBeNull();
  });

  test("locked after the pane read it: 403 becomes the same sentence, not an error with Retry", async () => {
    installOutlook();
    const b = backend()
      .on("GET", "/api/me/sharing", { body: mine() })
      .on("PUT", "/api/me/sharing", {
        status: 403,
        body: {
          error: {
            code: "sharing_locked",
            message: "Your organization's administrators set what every mailbox shares.",
          },
        },
      });
    renderPane(b);
    const view = await openMySharing();
    fireEvent.click(view.getByRole("radio", { name: "Who, when and subject" }));
    expect(await view.findByText(/Your organization's administrators decide this for every mailbox\./)).toBeTruthy();
    expect(view.queryByRole("radio")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  test("Connect says what Mail.Send is for and what teammates see", async () => {
    installOutlook();
    renderPane(backend(meResponse("not_connected")));
    await screen.findByRole("button", { name: "Connect Microsoft 365" });
    expect(
      screen.getByText(/send mail as you \(Mail\.Send\), used only when you send an email from the CRM/),
    ).toBeTruthy();
    // Without the level (an older server): the rule in general words.
    expect(
      await screen.findByText(
        /^Teammates see the email captured from your mailbox only as far as your sharing level allows/,
      ),
    ).toBeTruthy();
    expect(screen.queryByRole("button", { name: "What teammates see of your email" })).toBeNull();
  });
});

test("Connect says what teammates will see, at the level this mailbox would have", async () => {
  installOutlook();
  renderPane(
    backend(meResponse("not_connected")).on("GET", "/api/me/sharing", {
      body: mine({ level: "subject", organizationDefault: "subject", usersMayChange: false }),
    }),
  );
  expect(
    await screen.findByText(
      "Teammates in your organization will see who, when and the subject of the email captured from your mailbox; your administrator set this for everyone. You always see everything of your own.",
    ),
  ).toBeTruthy();
});

describe("the organization's sharing (administrators)", () => {
  test("default level and whether people may choose: Save sends both and keeps the integration level", async () => {
    installOutlook();
    const settings: OrganizationSharing = {
      defaultLevel: "metadata",
      usersMayChange: true,
      integrationLevel: "everything",
    };
    const b = backend(meResponse("active", {}, { isAdmin: true }))
      .on("GET", "/api/organization/sharing", { body: settings })
      .on("PUT", "/api/organization/sharing", (call) => ({ body: call.body }))
      .on("GET", "/api/connections", {
        body: {
          items: [],
          nextCursor: null,
          counts: { active: 0, reauth_required: 0, not_connected: 0, disconnected: 0 },
        },
      });
    renderPane(b);
    fireEvent.click(await screen.findByRole("tab", { name: "Mailboxes" }));
    const view = within(await screen.findByRole("region", { name: "What teammates see of each other's email" }));
    const save = view.getByRole("button", { name: "Save sharing settings" });
    expect(save).toHaveProperty("disabled", true);
    fireEvent.click(view.getByRole("radio", { name: "Who, when and subject" }));
    fireEvent.click(view.getByRole("switch", { name: "People may choose their own level" }));
    expect(view.getByText(/choices people made come back if you allow choosing again/)).toBeTruthy();
    fireEvent.click(save);
    await waitFor(() => expect(b.callsTo("PUT", "/api/organization/sharing")).toHaveLength(1));
    expect(b.callsTo("PUT", "/api/organization/sharing")[0].body).toEqual({
      defaultLevel: "subject",
      usersMayChange: false,
      integrationLevel: "everything",
    });
    expect(await view.findByText("Saved.")).toBeTruthy();
  });

  test("a member never asks for the organization's settings", async () => {
    installOutlook();
    const b = backend();
    renderPane(b);
    await screen.findByRole("heading", { name: "Captured" });
    expect(screen.queryByRole("tab", { name: "Mailboxes" })).toBeNull();
    expect(b.callsTo("GET", "/api/organization/sharing")).toHaveLength(0);
    expect(b.callsTo("GET", "/api/me/sharing")).toHaveLength(0);
  });
});
