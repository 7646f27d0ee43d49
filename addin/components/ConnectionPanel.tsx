/**
 * Connect / Reconnect / Disconnect, and what came of the last Connect. The flow itself lives in
 * useConnection; this panel shows it.
 */
import { Suspense, useEffect, useRef, useState } from "react";
import {
  Button,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import type { MeResponse, MySharing } from "../../shared/api/contract";
import { SHARING_LEVEL_WHAT } from "../../shared/sharing/words";
import { formatWhen } from "../state/format";
import { useConnection } from "../state/useConnection";
import { useFocusAfterSwap } from "../state/useFocusAfterSwap";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { Confirm } from "./Confirm";
import { ErrorBar } from "./ErrorBar";
import { ErrorBoundary, useRetryableLazy } from "./ErrorBoundary";
import { Loading } from "./Loading";

// The sharing choice loads when asked for, not with the pane.
const loadMySharing = () =>
  import(/* webpackChunkName: "sharing" */ "./SharingSettings").then((m) => ({ default: m.MySharingSetting }));

const useStyles = makeStyles({
  root: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  row: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalS,
    flexWrap: "wrap",
  },
  text: { minWidth: 0, overflowWrap: "anywhere" },
});

export function ConnectionPanel({ me, onChanged }: { me: MeResponse; onChanged: () => void }) {
  const styles = useStyles();
  const c = me.connection;
  const { busy, failure, outcome, connect, disconnect } = useConnection({ status: c.status, onChanged });
  const [confirming, setConfirming] = useState(false);
  const [sharingOpen, setSharingOpen] = useState(false);
  const [MySharing, retryMySharing] = useRetryableLazy(loadMySharing);
  // The panel swaps buttons in and out (Disconnect → Cancel → Connect): focus moves to the one that
  // replaced the button the user pressed, once it is on the page. Cancel takes focus by itself (Confirm).
  const buttons = { disconnect: useRef<HTMLButtonElement>(null), connect: useRef<HTMLButtonElement>(null) };
  const focusNext = useFocusAfterSwap((b: keyof typeof buttons) => buttons[b].current);
  // A confirmation belongs to the connection it was asked about.
  useEffect(() => {
    if (c.status !== "active") setConfirming(false);
  }, [c.status]);
  const stopConfirming = () => {
    focusNext("disconnect");
    setConfirming(false);
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
            Connected as {me.user.email}.{" "}
            {c.lastSweepAt ? `Mailbox last checked ${formatWhen(c.lastSweepAt)}` : "Not checked yet"}
            {c.nextSweepAt ? `, next check ${formatWhen(c.nextSweepAt)}` : ""}.
          </Text>
          {!confirming && (
            <Button
              ref={buttons.disconnect}
              appearance="subtle"
              size="small"
              onClick={() => setConfirming(true)}
              disabled={busy}
            >
              Disconnect
            </Button>
          )}
        </div>
      )}
      {c.status === "active" && (
        <div>
          <Button
            appearance="transparent"
            size="small"
            aria-expanded={sharingOpen}
            aria-controls={sharingOpen ? "my-sharing" : undefined}
            onClick={() => setSharingOpen((o) => !o)}
          >
            {sharingOpen ? "Hide what teammates see" : "What teammates see of your email"}
          </Button>
          {sharingOpen && (
            <div id="my-sharing">
              <ErrorBoundary onRetry={retryMySharing}>
                <Suspense fallback={<Loading label="Loading your sharing level" rows={2} />}>
                  <MySharing />
                </Suspense>
              </ErrorBoundary>
            </div>
          )}
        </div>
      )}
      {c.status === "active" && confirming && (
        // Disconnecting deletes the stored grant: one more, deliberate click.
        <Confirm
          question="Disconnect your mailbox? Capture stops and the stored Microsoft 365 grant is deleted; you can connect again later."
          confirmLabel="Yes, disconnect"
          busyLabel="Disconnecting…"
          busy={busy}
          onConfirm={() => void disconnect(() => focusNext("connect"))}
          onCancel={stopConfirming}
        />
      )}
      {(c.status === "not_connected" || c.status === "disconnected") && (
        <MessageBar intent="info" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>
              {c.status === "disconnected" ? "Mailbox disconnected" : "Connect your mailbox"}
            </MessageBarTitle>
            Connect Microsoft 365 so email with tracked contacts is captured automatically. No app password is needed:
            you sign in with Microsoft and consent once.
            {/* Consent asks for both permissions: say here, where it is asked, what each one is for. */}
            <Text as="p" size={200} block>
              Microsoft will ask to let Engagement Capture read your mail (Mail.Read), to find email with tracked
              contacts, and send mail as you (Mail.Send), used only when you send an email from the CRM.
            </Text>
            <ConnectSharingNote />
          </MessageBarBody>
          <MessageBarActions>
            <Button ref={buttons.connect} appearance="primary" onClick={() => void connect()} disabled={busy}>
              Connect Microsoft 365
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {c.status === "reauth_required" && (
        <MessageBar intent="warning" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>Reconnect needed</MessageBarTitle>
            {c.reason ?? "Microsoft no longer accepts the mailbox grant."} Capture is paused; reconnecting fills the
            gap.
          </MessageBarBody>
          <MessageBarActions>
            <Button ref={buttons.connect} appearance="primary" onClick={() => void connect()} disabled={busy}>
              Reconnect
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </section>
  );
}

/**
 * Where consent is asked: what teammates will see of the mail captured from this mailbox, at the level it
 * would have (GET /api/me/sharing). Without an answer, the rule in general words.
 */
function ConnectSharingNote() {
  const { api } = useServices();
  const sharing = useResource<MySharing>(() => api.mySharing(), "connect-sharing");
  const s = sharing.data;
  return (
    <Text as="p" size={200} block>
      {s
        ? `Teammates in your organization will see ${SHARING_LEVEL_WHAT[s.level]} of the email captured from your mailbox; ${
            s.usersMayChange ? "you can change this here once connected" : "your administrator set this for everyone"
          }.`
        : "Teammates see the email captured from your mailbox only as far as your sharing level allows (your organization's default until you choose one here)."}{" "}
      You always see everything of your own.
    </Text>
  );
}
