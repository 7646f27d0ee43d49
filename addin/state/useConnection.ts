/**
 * Connecting the user's mailbox and disconnecting it. Connect asks the backend for an authorize URL
 * and opens it in an Office dialog (a popup outside Office); when the dialog reports back or closes,
 * the connection is read again, and the first sweep is followed until it has a result to tell.
 */
import { useEffect, useRef, useState } from "react";
import type { ConnectionStatus } from "../../shared/api/contract";
import { dialogTrampolineUrl, openDialog } from "../office/dialog";
import { isInOutlook } from "../office/host";
import { useAnnounce } from "./announcer";
import { useServices } from "./services";
import { useAction, type ActionFailure } from "./useAction";

/** What the callback page posts when the consent flow ends (server/api/routes/connection.ts). */
export interface ConnectResult {
  status?: "connected" | "failed";
  message?: string;
  code?: string | null;
}

export function parseConnectResult(raw: string): ConnectResult | null {
  try {
    const m = JSON.parse(raw) as unknown;
    return m && typeof m === "object" ? (m as ConnectResult) : null;
  } catch {
    return null;
  }
}

/** What the panel says after Connect, in a message bar (and to screen readers). */
export interface ConnectOutcome {
  intent: "success" | "info" | "warning";
  title: string;
  text: string;
}

export const FIRST_SWEEP_RUNNING = "Checking your mailbox: recent email with tracked contacts is being captured.";
const FOLLOW_EVERY_MS = 2000;
const FOLLOW_FOR_MS = 90_000;
const CHANGE_FAILED = "Connection change failed";

export interface ConnectionFlow {
  busy: boolean;
  failure: ActionFailure | null;
  outcome: ConnectOutcome | null;
  connect(): Promise<void>;
  /** `onDisconnected` runs once the grant is gone, before the connection is read again. */
  disconnect(onDisconnected?: () => void): Promise<void>;
}

export interface ConnectionFlowOptions {
  /** The connection's status as last read (GET /api/me). */
  status: ConnectionStatus;
  /** The connection changed: read it again. */
  onChanged: () => void;
}

export function useConnection({ status, onChanged }: ConnectionFlowOptions): ConnectionFlow {
  const { api } = useServices();
  const announce = useAnnounce();
  const action = useAction();
  const [outcome, setOutcome] = useState<ConnectOutcome | null>(null);
  const tell = (o: ConnectOutcome) => {
    setOutcome(o);
    announce(`${o.title} ${o.text}`);
  };
  const follow = useFirstSweep(tell, onChanged);

  // The consent window closed without a word (its message can be lost), yet the connection is now active.
  const awaitingConnection = useRef(false);
  useEffect(() => {
    if (!awaitingConnection.current || status !== "active") return;
    awaitingConnection.current = false;
    tell({ intent: "success", title: "Connected.", text: FIRST_SWEEP_RUNNING });
    follow();
    // tell is a fresh closure each render; the connection's status is the trigger.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [status]);

  const consentEnded = (result: ConnectResult | null) => {
    onChanged();
    if (result?.status === "connected") {
      tell({ intent: "success", title: "Connected.", text: FIRST_SWEEP_RUNNING });
      follow();
    } else if (result?.status === "failed") {
      tell({
        intent: "warning",
        title: "Not connected.",
        text: result.message || "Microsoft didn't grant access to the mailbox. Try again.",
      });
    } else {
      awaitingConnection.current = true; // closed without a word: the connection read again tells
    }
  };

  const connect = () =>
    action.run(
      async () => {
        setOutcome(null);
        awaitingConnection.current = false;
        const { authorizeUrl } = await api.connect();
        announce("Opening Microsoft sign-in to connect your mailbox.");
        // Busy until the consent window reports back or closes.
        const result = await consent(isInOutlook() ? dialogTrampolineUrl(authorizeUrl) : authorizeUrl);
        consentEnded(result);
      },
      { title: CHANGE_FAILED, retry: () => void connect() },
    );

  const disconnect = (onDisconnected?: () => void) =>
    action.run(
      async () => {
        setOutcome(null);
        await api.disconnect();
        onDisconnected?.();
        announce("Mailbox disconnected. Capture has stopped.");
        onChanged();
      },
      { title: CHANGE_FAILED, retry: () => void disconnect(onDisconnected) },
    );

  return { busy: action.busy, failure: action.failure, outcome, connect, disconnect };
}

/** The consent dialog's result: what its page posted, or null when it closed without a word. */
async function consent(url: string): Promise<ConnectResult | null> {
  // The first of the two wins: a posted result closes the dialog, which reports closed as well.
  let settle: (result: ConnectResult | null) => void = () => undefined;
  const ended = new Promise<ConnectResult | null>((resolve) => (settle = resolve));
  const dialog = await openDialog(url, {
    onMessage: (raw) => {
      dialog.close();
      settle(parseConnectResult(raw));
    },
    onClosed: () => settle(null),
  });
  return ended;
}

/**
 * After Connect: follow the first sweep (GET /api/sweeps) until it has finished, then say how it
 * went. Returns `follow()`, which starts following from now.
 */
function useFirstSweep(tell: (o: ConnectOutcome) => void, onChanged: () => void): () => void {
  const { api } = useServices();
  const [following, setFollowing] = useState<number | null>(null); // when Connect finished (ms)
  useEffect(() => {
    if (following === null) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = async () => {
      try {
        const [latest] = await api.recentSweeps(1);
        // The connect sweep of this Connect (2 minutes' slack for clocks that disagree).
        const ours =
          latest && latest.trigger === "connect" && Date.parse(latest.startedAt) >= following - 120_000 ? latest : null;
        if (!live) return;
        if (ours && ours.status !== "running") {
          setFollowing(null);
          onChanged(); // last/next sweep times in the panel
          tell(firstSweepOutcome(ours.status === "succeeded", ours.newlyCaptured));
          return;
        }
      } catch {
        /* sweeps not available here: the panel's last-sweep line will tell */
      }
      if (!live) return;
      if (Date.now() - following > FOLLOW_FOR_MS) setFollowing(null);
      else timer = setTimeout(check, FOLLOW_EVERY_MS);
    };
    timer = setTimeout(check, FOLLOW_EVERY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // tell/onChanged are fresh closures each render; following is the trigger.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [following, api]);
  return () => setFollowing(Date.now());
}

/**
 * How the first sweep went: `finished` false when it didn't. The count is of new captures only
 * (`newlyCaptured`): after a reconnect the sweep reads mail captured before again, and its `captured`
 * counts that too. None new (or a server that doesn't count them): no number, only that capture is up to date.
 */
export function firstSweepOutcome(finished: boolean, newlyCaptured: number | null = null): ConnectOutcome {
  if (!finished)
    return {
      intent: "warning",
      title: "Connected.",
      text: "The first check of your mailbox didn't finish; the next one will try again.",
    };
  const fromNowOn = "From now on, new email with tracked contacts is captured automatically.";
  if (newlyCaptured && newlyCaptured > 0)
    return {
      intent: "success",
      title: "Connected.",
      text: `Captured ${newlyCaptured} new email${newlyCaptured === 1 ? "" : "s"} with tracked contacts. ${fromNowOn}`,
    };
  return { intent: "success", title: "Connected.", text: `Capture is up to date. ${fromNowOn}` };
}
