/** @jest-environment jsdom */
/**
 * The pane's flows and shared pieces on their own: useAction, useFocusAfterSwap, Confirm, useSignIn
 * and useConnection, each rendered with just the providers it needs.
 */
import { useRef, useState, type ReactNode } from "react";
import { act, fireEvent, render, renderHook, screen, waitFor } from "@testing-library/react";
import { FluentProvider, webLightTheme } from "@fluentui/react-components";
import { ApiError, type ApiClient } from "../../addin/api/client";
import { InteractionRequiredError } from "../../addin/auth/types";
import { Confirm, type ConfirmProps } from "../../addin/components/Confirm";
import { AnnouncerProvider } from "../../addin/state/announcer";
import { ServicesContext, type PaneServices } from "../../addin/state/services";
import { useAction } from "../../addin/state/useAction";
import {
  FIRST_SWEEP_RUNNING,
  firstSweepOutcome,
  parseConnectResult,
  useConnection,
} from "../../addin/state/useConnection";
import { useFocusAfterSwap } from "../../addin/state/useFocusAfterSwap";
import { useSignIn } from "../../addin/state/useSignIn";
import type { ManageClient } from "../../addin/api/manage";
import { CONFIG, installOutlook, setUpPaneTests, stubAuth } from "./helpers";

setUpPaneTests();

function servicesWith(api: Partial<ApiClient>, auth = stubAuth()): PaneServices {
  return { api: api as ApiClient, manage: {} as ManageClient, auth, config: CONFIG };
}

function providers(services: PaneServices) {
  return function Providers({ children }: { children: ReactNode }) {
    return (
      <FluentProvider theme={webLightTheme}>
        <ServicesContext.Provider value={services}>
          <AnnouncerProvider>{children}</AnnouncerProvider>
        </ServicesContext.Provider>
      </FluentProvider>
    );
  };
}

const announced = () => screen.getByTestId("announcer").textContent;

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("useAction", () => {
  const wrapper = providers(servicesWith({}));

  test("busy while the work runs; the sentence it returns is announced", async () => {
    const { result } = renderHook(() => useAction(), { wrapper });
    const work = deferred<string>();
    let running!: Promise<void>;
    act(() => void (running = result.current.run(() => work.promise, { title: "Capture failed" })));
    expect(result.current.busy).toBe(true);
    await act(async () => {
      work.resolve("Captured.");
      await running;
    });
    expect(result.current.busy).toBe(false);
    expect(result.current.failure).toBeNull();
    await waitFor(() => expect(announced()).toBe("Captured."));
  });

  test("a failure is kept with its title; Retry runs the same work again, and a new run clears it", async () => {
    const { result } = renderHook(() => useAction(), { wrapper });
    const boom = new Error("boom");
    const work = jest.fn().mockRejectedValueOnce(boom).mockResolvedValueOnce(undefined);
    await act(() => result.current.run(work, { title: "Unblock failed" }));
    expect(result.current.busy).toBe(false);
    expect(result.current.failure).toMatchObject({ error: boom, title: "Unblock failed" });
    act(() => result.current.failure!.retry());
    await waitFor(() => expect(work).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(result.current.failure).toBeNull());
    expect(announced()).toBe("");
  });

  test("an explicit retry is used, and recover takes the failures it knows", async () => {
    const { result } = renderHook(() => useAction(), { wrapper });
    const retry = jest.fn();
    await act(() => result.current.run(() => Promise.reject(new Error("x")), { title: "T", retry }));
    result.current.failure!.retry();
    expect(retry).toHaveBeenCalledTimes(1);

    const recover = jest.fn((e: unknown) => e instanceof ApiError);
    await act(() =>
      result.current.run(() => Promise.reject(new ApiError(403, "forbidden", "No.")), { title: "T", recover }),
    );
    expect(recover).toHaveBeenCalledTimes(1);
    expect(result.current.failure).toBeNull();
    expect(result.current.busy).toBe(false);
  });

  test("clear forgets the last failure", async () => {
    const { result } = renderHook(() => useAction(), { wrapper });
    await act(() => result.current.run(() => Promise.reject(new Error("x")), { title: "T" }));
    expect(result.current.failure).not.toBeNull();
    act(() => result.current.clear());
    expect(result.current.failure).toBeNull();
  });
});

describe("useFocusAfterSwap", () => {
  function Swapper({ ready = true, dropWhenMissing = false }: { ready?: boolean; dropWhenMissing?: boolean }) {
    const [shown, setShown] = useState<"a" | "b">("a");
    const b = useRef<HTMLButtonElement>(null);
    const focusNext = useFocusAfterSwap((t: "b") => (t === "b" ? b.current : null), { ready, dropWhenMissing });
    return (
      <>
        {shown === "a" ? (
          <button
            onClick={() => {
              focusNext("b");
              setShown("b");
            }}
          >
            A
          </button>
        ) : (
          <button ref={b}>B</button>
        )}
        <button onClick={() => focusNext("b")}>Ask for B</button>
        <button onClick={() => setShown("b")}>Show B</button>
      </>
    );
  }

  test("the replacement takes focus once it is on the page", async () => {
    render(<Swapper />);
    fireEvent.click(screen.getByRole("button", { name: "A" }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "B" })));
  });

  test("not ready: the request waits", () => {
    const { rerender } = render(<Swapper ready={false} />);
    fireEvent.click(screen.getByRole("button", { name: "A" }));
    expect(document.activeElement).toBe(document.body);
    rerender(<Swapper ready />);
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "B" }));
  });

  test("a missing target keeps the request by default, and drops it with dropWhenMissing", () => {
    const kept = render(<Swapper />);
    fireEvent.click(screen.getByRole("button", { name: "Ask for B" })); // B is not on the page yet
    kept.rerender(<Swapper />);
    fireEvent.click(screen.getByRole("button", { name: "Show B" }));
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "B" }));
    kept.unmount();

    const dropped = render(<Swapper dropWhenMissing />);
    fireEvent.click(screen.getByRole("button", { name: "Ask for B" }));
    dropped.rerender(<Swapper dropWhenMissing />); // a render without B spends the request
    fireEvent.click(screen.getByRole("button", { name: "Show B" }));
    expect(screen.getByRole("button", { name: "B" })).toBeTruthy();
    expect(document.activeElement).toBe(document.body);
  });
});

describe("Confirm", () => {
  function renderConfirm(over: Partial<ConfirmProps> = {}) {
    const props: ConfirmProps = {
      question: "Delete it?",
      confirmLabel: "Yes, delete",
      busyLabel: "Deleting…",
      busy: false,
      onConfirm: jest.fn(),
      onCancel: jest.fn(),
      ...over,
    };
    const utils = render(
      <FluentProvider theme={webLightTheme}>
        <Confirm {...props} />
      </FluentProvider>,
    );
    return { ...utils, props };
  }

  test("a group named by its question; Cancel takes focus; Yes confirms, Cancel and Escape cancel", () => {
    const { props } = renderConfirm();
    const group = screen.getByRole("group", { name: "Delete it?" });
    const cancel = screen.getByRole("button", { name: "Cancel" });
    expect(document.activeElement).toBe(cancel);
    fireEvent.click(screen.getByRole("button", { name: "Yes, delete" }));
    expect(props.onConfirm).toHaveBeenCalledTimes(1);
    fireEvent.click(cancel);
    fireEvent.keyDown(group, { key: "Escape" });
    expect(props.onCancel).toHaveBeenCalledTimes(2);
  });

  test("while busy: the busy label, buttons disabled, Escape ignored", () => {
    const { props } = renderConfirm({ busy: true });
    const yes = screen.getByRole("button", { name: "Deleting…" }) as HTMLButtonElement;
    expect(yes.disabled).toBe(true);
    expect((screen.getByRole("button", { name: "Cancel" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(screen.getByRole("group"), { key: "Escape" });
    expect(props.onCancel).not.toHaveBeenCalled();
  });

  test("focusableWhileBusy keeps the buttons focusable (aria-disabled), so focus stays beside the coming Retry", () => {
    renderConfirm({ busy: true, focusableWhileBusy: true });
    const yes = screen.getByRole("button", { name: "Deleting…" }) as HTMLButtonElement;
    expect(yes.disabled).toBe(false);
    expect(yes.getAttribute("aria-disabled")).toBe("true");
  });
});

describe("useSignIn", () => {
  test("signing in announces, asks once for the status heading's focus, and tells the pane to read again", async () => {
    const auth = stubAuth({ signedIn: false });
    const onSignedIn = jest.fn();
    const { result } = renderHook(() => useSignIn(servicesWith({}, auth), onSignedIn), {
      wrapper: providers(servicesWith({})),
    });
    await act(() => result.current.start());
    expect(auth.signIn).toHaveBeenCalledTimes(1);
    expect(onSignedIn).toHaveBeenCalledTimes(1);
    expect(result.current).toMatchObject({ pending: false, error: null, signedOut: false });
    expect(result.current.takeFocusRequest()).toBe(true);
    expect(result.current.takeFocusRequest()).toBe(false);
    await waitFor(() => expect(announced()).toBe("Signed in."));
  });

  test("a second press within a second is a double click: one sign-in window", async () => {
    const auth = stubAuth();
    const pending = deferred<void>();
    auth.signIn.mockReturnValueOnce(pending.promise);
    const { result } = renderHook(() => useSignIn(servicesWith({}, auth), () => {}), {
      wrapper: providers(servicesWith({})),
    });
    act(() => void result.current.start());
    expect(result.current.pending).toBe(true);
    await act(() => result.current.start());
    expect(auth.signIn).toHaveBeenCalledTimes(1);
    await act(async () => pending.resolve());
    await waitFor(() => expect(result.current.pending).toBe(false));
  });

  test("a failed attempt is kept and announced; an attempt superseded by a newer one says nothing", async () => {
    const auth = stubAuth();
    const failure = Object.assign(new Error("popup closed"), { errorCode: "user_cancelled" });
    auth.signIn.mockRejectedValueOnce(failure);
    const { result } = renderHook(() => useSignIn(servicesWith({}, auth), () => {}), {
      wrapper: providers(servicesWith({})),
    });
    await act(() => result.current.start());
    expect(result.current.error).toBe(failure);
    expect(result.current.pending).toBe(false);
    await waitFor(() => expect(announced()).toBe("Sign-in didn't finish. Sign-in was cancelled."));

    const older = deferred<void>();
    auth.signIn.mockReturnValueOnce(older.promise);
    const now = Date.now();
    const clock = jest.spyOn(Date, "now").mockReturnValue(now + 5000);
    act(() => void result.current.start());
    clock.mockReturnValue(now + 10_000);
    await act(() => result.current.start()); // the stub signs in at once
    await act(async () => older.reject(new Error("superseded")));
    clock.mockRestore();
    expect(result.current.error).toBeNull();
    expect(result.current.pending).toBe(false);
  });

  test("any call that needs sign-in marks the pane signed out", async () => {
    const me = jest.fn().mockRejectedValue(new InteractionRequiredError());
    const services = servicesWith({ me });
    const { result } = renderHook(() => useSignIn(services, () => {}), { wrapper: providers(services) });
    await act(() => result.current.services.api.me().catch(() => undefined));
    expect(result.current.signedOut).toBe(true);
  });
});

describe("useConnection", () => {
  test("the callback page's result is parsed leniently", () => {
    expect(parseConnectResult('{"status":"connected"}')).toEqual({ status: "connected" });
    expect(parseConnectResult("not json")).toBeNull();
    expect(parseConnectResult("42")).toBeNull();
  });

  test("the first sweep's outcome in words", () => {
    // No count: the sweep's count includes mail captured before, so "captured 7" would not count what it says.
    expect(firstSweepOutcome(true)).toEqual({
      intent: "success",
      title: "Connected.",
      text: "Capture is up to date. From now on, new email with tracked contacts is captured automatically.",
    });
    expect(firstSweepOutcome(false)).toEqual({
      intent: "warning",
      title: "Connected.",
      text: "The first check of your mailbox didn't finish; the next one will try again.",
    });
    expect(firstSweepOutcome(true).text).not.toMatch(/\d/);
    // The count of new captures only: none new after a reconnect says no number, some new says how many.
    expect(firstSweepOutcome(true, 0).text).toBe(firstSweepOutcome(true).text);
    expect(firstSweepOutcome(true, 1).text).toBe(
      "Captured 1 new email with tracked contacts. From now on, new email with tracked contacts is captured automatically.",
    );
    expect(firstSweepOutcome(true, 7).text).toMatch(/^Captured 7 new emails with tracked contacts\./);
  });

  test("Connect is busy until the consent window reports, then tells the outcome and reads the connection again", async () => {
    const outlook = installOutlook();
    const connect = jest.fn(async () => ({ authorizeUrl: "https://login.example.test/authorize" }));
    const services = servicesWith({ connect, recentSweeps: jest.fn(async () => []) });
    const onChanged = jest.fn();
    const { result } = renderHook(() => useConnection({ status: "not_connected", onChanged }), {
      wrapper: providers(services),
    });
    let connecting!: Promise<void>;
    act(() => void (connecting = result.current.connect()));
    await waitFor(() => expect(outlook.dialogs).toHaveLength(1));
    expect(result.current.busy).toBe(true);
    await act(async () => {
      outlook.dialogs[0].handlers.dialogMessageReceived({ message: JSON.stringify({ status: "connected" }) });
      await connecting;
    });
    expect(outlook.dialogs[0].closed).toBe(true);
    expect(result.current.busy).toBe(false);
    expect(onChanged).toHaveBeenCalledTimes(1);
    expect(result.current.outcome).toEqual({ intent: "success", title: "Connected.", text: FIRST_SWEEP_RUNNING });
  });

  test("Disconnect: the caller hears of it before the connection is read again; a failure is a 'Connection change failed' with Retry", async () => {
    const order: string[] = [];
    const disconnect = jest
      .fn()
      .mockRejectedValueOnce(new ApiError(500, "internal", "Down."))
      .mockResolvedValue(undefined);
    const services = servicesWith({ disconnect });
    const { result } = renderHook(() => useConnection({ status: "active", onChanged: () => order.push("changed") }), {
      wrapper: providers(services),
    });
    await act(() => result.current.disconnect(() => order.push("disconnected")));
    expect(result.current.failure?.title).toBe("Connection change failed");
    act(() => result.current.failure!.retry());
    await waitFor(() => expect(order).toEqual(["disconnected", "changed"]));
    await waitFor(() => expect(result.current.failure).toBeNull());
    await waitFor(() => expect(announced()).toBe("Mailbox disconnected. Capture has stopped."));
  });
});
