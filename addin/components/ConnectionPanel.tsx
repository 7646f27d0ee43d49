/**
 * Connect / Reconnect / Disconnect. Connect asks the backend for an authorize URL and opens it in
 * an Office dialog (popup outside Office); when the dialog reports back or closes, the connection
 * is read again.
 */
import { useState } from "react";
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
});

export function ConnectionPanel({ me, onChanged }: { me: MeResponse; onChanged: () => void }) {
  const styles = useStyles();
  const { api } = useServices();
  const announce = useAnnounce();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ e: unknown; retry: () => void } | null>(null);
  const c = me.connection;

  const connect = async () => {
    setBusy(true);
    setError(null);
    try {
      const { authorizeUrl } = await api.connect();
      announce("Opening Microsoft sign-in to connect your mailbox.");
      const url = isInOutlook() ? dialogTrampolineUrl(authorizeUrl) : authorizeUrl;
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        setBusy(false);
        onChanged();
      };
      const dialog = await openDialog(url, {
        onMessage: () => {
          dialog.close();
          done();
        },
        onClosed: done,
      });
    } catch (e) {
      setBusy(false);
      setError({ e, retry: connect });
    }
  };

  const disconnect = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.disconnect();
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
      {c.status === "active" && (
        <div className={styles.row}>
          <Text size={200}>
            Connected as {me.user.email}. Last sweep {formatWhen(c.lastSweepAt)}
            {c.nextSweepAt ? `, next ${formatWhen(c.nextSweepAt)}` : ""}.
          </Text>
          <Button appearance="subtle" size="small" onClick={disconnect} disabled={busy}>
            Disconnect
          </Button>
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
            <Button appearance="primary" onClick={connect} disabled={busy}>
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
            <Button appearance="primary" onClick={connect} disabled={busy}>
              Reconnect
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {error && <ErrorBar error={error.e} title="Connection change failed" onRetry={error.retry} />}
    </section>
  );
}
