/**
 * Connect / Reconnect / Disconnect. Connect asks the backend for an authorize URL and opens it in
 * an Office dialog (popup outside Office); when the dialog reports back or closes, the connection
 * is read again, and the pane follows the first sweep until it has a result to tell.
 */
import { useEffect, useRef, useState } from "react";
import { Button, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle, Text, makeStyles, tokens } from "@fluentui/react-components";
import type { MeResponse } from "../../shared/api/contract";
import { dialogTrampolineUrl, openDialog } from "../office/dialog";
import { isInOutlook } from "../office/host";
import { useAnnounce } from "../state/announcer";
import { formatWhen } from "../state/format";
import { useServices } from "../state/services";
import { ErrorBar } from "./ErrorBar";

const useStyles = makeStyles({
  root: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  row: { display: "flex", alignItems: "center", justifyContent: "space-between", gap: tokens.spacingHorizontalS, flexWrap: "wrap" },
  text: { minWidth: 0, overflowWrap: "anywhere" },
  confirm: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  confirmActions: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap" },
});

/** What the callback page posts when the consent flow ends (server/api/routes/connection.ts). */
interface ConnectResult {
  status?: "connected" | "failed";
  message?: string;
  code?: string | null;
}

function parseConnectResult(raw: string): ConnectResult | null {
  try {
    const m = JSON.parse(raw) as unknown;
    return m && typeof m === "object" ? (m as ConnectResult) : null;
  } catch {
    return null;
  }
}

type Outcome = { intent: "success" | "info" | "warning"; title: string; text: string };

const FIRST_SWEEP_RUNNING = "The first sweep is running: email with tracked contacts from the last 24 hours is being captured.";
const FOLLOW_EVERY_MS = 2000;
const FOLLOW_FOR_MS = 90_000;

export function ConnectionPanel({ me, onChanged }: { me: MeResponse; onChanged: () => void }) {
  const styles = useStyles();
  const { api } = useServices();
  const announce = useAnnounce();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ e: unknown; retry: () => void } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [following, setFollowing] = useState<number | null>(null); // when Connect finished (ms)
  const c = me.connection;
  // The panel swaps buttons in and out (Disconnect → Cancel → Connect): focus moves to the one that
  // replaced the button the user pressed, once it is on the page.
  const buttons = {
    disconnect: useRef<HTMLButtonElement>(null),
    cancel: useRef<HTMLButtonElement>(null),
    connect: useRef<HTMLButtonElement>(null),
  };
  const focusNext = useRef<keyof typeof buttons | null>(null);
  useEffect(() => {
    const target = focusNext.current && buttons[focusNext.current].current;
    if (target) {
      focusNext.current = null;
      target.focus();
    }
  });
  // A confirmation belongs to the connection it was asked about.
  useEffect(() => {
    if (c.status !== "active") setConfirming(false);
  }, [c.status]);
  // The consent window closed without a word (its message can be lost), yet the connection is now active.
  const awaitingConnection = useRef(false);
  useEffect(() => {
    if (!awaitingConnection.current || c.status !== "active") return;
    awaitingConnection.current = false;
    tell({ intent: "success", title: "Connected.", text: FIRST_SWEEP_RUNNING });
    setFollowing(Date.now());
    // tell is a fresh closure each render; the connection's status is the trigger.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [c.status]);

  const tell = (o: Outcome) => {
    setOutcome(o);
    announce(`${o.title} ${o.text}`);
  };

  // After Connect: follow the first sweep (GET /api/sweeps) until it has finished, then say how it went.
  useEffect(() => {
    if (following === null) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = async () => {
      try {
        const [latest] = await api.recentSweeps(1);
        // The connect sweep of this Connect (2 minutes' slack for clocks that disagree).
        const ours = latest && latest.trigger === "connect" && Date.parse(latest.startedAt) >= following - 120_000 ? latest : null;
        if (!live) return;
        if (ours && ours.status !== "running") {
          setFollowing(null);
          onChanged(); // last/next sweep times in the panel
          if (ours.status === "succeeded") {
            const n = ours.captured;
            tell({ intent: "success", title: "Connected.", text: `The first sweep captured ${n} ${n === 1 ? "message" : "messages"} from the last 24 hours.` });
          } else {
            tell({ intent: "warning", title: "Connected.", text: "The first sweep didn't finish; the next one will try again." });
          }
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

  const connect = async () => {
    setBusy(true);
    setError(null);
    setOutcome(null);
    awaitingConnection.current = false;
    try {
      const { authorizeUrl } = await api.connect();
      announce("Opening Microsoft sign-in to connect your mailbox.");
      const url = isInOutlook() ? dialogTrampolineUrl(authorizeUrl) : authorizeUrl;
      let finished = false;
      const done = (result: ConnectResult | null) => {
        if (finished) return;
        finished = true;
        setBusy(false);
        onChanged();
        if (result?.status === "connected") {
          tell({ intent: "success", title: "Connected.", text: FIRST_SWEEP_RUNNING });
          setFollowing(Date.now());
        } else if (result?.status === "failed") {
          tell({ intent: "warning", title: "Not connected.", text: result.message || "Microsoft didn't grant access to the mailbox. Try again." });
        } else {
          awaitingConnection.current = true; // closed without a word: the connection read again tells
        }
      };
      const dialog = await openDialog(url, {
        onMessage: (raw) => {
          dialog.close();
          done(parseConnectResult(raw));
        },
        onClosed: () => done(null),
      });
    } catch (e) {
      setBusy(false);
      setError({ e, retry: connect });
    }
  };

  const disconnect = async () => {
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      await api.disconnect();
      focusNext.current = "connect";
      announce("Mailbox disconnected. Capture has stopped.");
      onChanged();
    } catch (e) {
      setError({ e, retry: disconnect });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="connection-heading" className={styles.root}>
      <h2 id="connection-heading" style={{ position: "absolute", left: -10000 }}>
        Mailbox connection
      </h2>
      {outcome && (
        <MessageBar intent={outcome.intent} layout="multiline">
          <MessageBarBody className={styles.text}>
            <MessageBarTitle>{outcome.title}</MessageBarTitle>
            {outcome.text}
          </MessageBarBody>
        </MessageBar>
      )}
      {c.status === "active" && (
        <div className={styles.row}>
          <Text size={200} className={styles.text}>
            Connected as {me.user.email}. Last sweep {formatWhen(c.lastSweepAt)}
            {c.nextSweepAt ? `, next ${formatWhen(c.nextSweepAt)}` : ""}.
          </Text>
          {!confirming && (
            <Button
              ref={buttons.disconnect}
              appearance="subtle"
              size="small"
              onClick={() => {
                focusNext.current = "cancel"; // the safe choice
                setConfirming(true);
              }}
              disabled={busy}
            >
              Disconnect
            </Button>
          )}
        </div>
      )}
      {c.status === "active" && confirming && (
        // Disconnecting deletes the stored grant: one more, deliberate click.
        // Escape cancels, as in the Unblock for everyone confirmation (StatusCard).
        <div
          role="group"
          aria-labelledby="disconnect-question"
          className={styles.confirm}
          onKeyDown={(e) => {
            if (e.key === "Escape" && !busy) {
              focusNext.current = "disconnect";
              setConfirming(false);
            }
          }}
        >
          <Text id="disconnect-question" className={styles.text}>
            Disconnect your mailbox? Capture stops and the stored Microsoft 365 grant is deleted; you can connect again later.
          </Text>
          <div className={styles.confirmActions}>
            <Button appearance="primary" size="small" onClick={disconnect} disabled={busy}>
              {busy ? "Disconnecting…" : "Yes, disconnect"}
            </Button>
            <Button
              ref={buttons.cancel}
              size="small"
              onClick={() => {
                focusNext.current = "disconnect";
                setConfirming(false);
              }}
              disabled={busy}
            >
              Cancel
            </Button>
          </div>
        </div>
      )}
      {(c.status === "not_connected" || c.status === "disconnected") && (
        <MessageBar intent="info" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>{c.status === "disconnected" ? "Mailbox disconnected" : "Connect your mailbox"}</MessageBarTitle>
            Connect Microsoft 365 so email with tracked contacts is captured every hour. No app password is needed: you sign in with
            Microsoft and consent once.
          </MessageBarBody>
          <MessageBarActions>
            <Button ref={buttons.connect} appearance="primary" onClick={connect} disabled={busy}>
              Connect Microsoft 365
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {c.status === "reauth_required" && (
        <MessageBar intent="warning" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>Reconnect needed</MessageBarTitle>
            {c.reason ?? "Microsoft no longer accepts the mailbox grant."} Capture is paused; reconnecting fills the gap.
          </MessageBarBody>
          <MessageBarActions>
            <Button ref={buttons.connect} appearance="primary" onClick={connect} disabled={busy}>
              Reconnect
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {error && <ErrorBar error={error.e} title="Connection change failed" onRetry={error.retry} />}
    </section>
  );
}
