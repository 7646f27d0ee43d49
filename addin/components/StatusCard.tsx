/**
 * The open message's capture status: Captured / Will be captured / Not captured, each with what
 * the user can do next. The sentences come from the API (the shared capture rules), not from here.
 */
import { useState } from "react";
import { Badge, Button, Card, Link, Text, makeStyles, tokens } from "@fluentui/react-components";
import type { MessageStatusResponse } from "../../shared/api/contract";
import { REASON_TEXTS } from "../../shared/capture/reasons";
import type { OpenMessage } from "../office/message";
import { useAnnounce } from "../state/announcer";
import { formatWhen } from "../state/format";
import { useServices } from "../state/services";
import { ErrorBar } from "./ErrorBar";

const useStyles = makeStyles({
  card: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  heading: { margin: 0, fontSize: tokens.fontSizeBase500, display: "flex", alignItems: "center", gap: tokens.spacingHorizontalS },
  muted: { color: tokens.colorNeutralForeground3 },
  actions: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap" },
});

export const STATUS_HEADING: Record<MessageStatusResponse["status"], string> = {
  captured: "Captured",
  will_be_captured: "Will be captured",
  not_captured: "Not captured",
};

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

export interface StatusCardProps {
  status: MessageStatusResponse;
  message: OpenMessage;
  /** New status from Capture now. */
  onStatus: (s: MessageStatusResponse) => void;
  /** The "Track x" fix: open the track flow for that address. */
  onTrack: (address: string) => void;
  /** Something changed server-side (unblocked): read the status again. */
  onRefresh: () => void;
}

export function StatusCard({ status, message, onStatus, onTrack, onRefresh }: StatusCardProps) {
  const styles = useStyles();
  const { api, config } = useServices();
  const announce = useAnnounce();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ e: unknown; retry: () => void; title: string } | null>(null);
  const { decision, engagement } = status;

  const captureNow = async () => {
    if (!message.restItemId) return;
    setBusy(true);
    setError(null);
    try {
      const next = await api.captureNow({ restItemId: message.restItemId, internetMessageId: message.internetMessageId });
      onStatus(next);
      announce(next.status === "captured" ? "Captured." : `${STATUS_HEADING[next.status]}. ${next.decision.explanation}`);
    } catch (e) {
      setError({ e, retry: captureNow, title: "Capture failed" });
    } finally {
      setBusy(false);
    }
  };

  const unblock = async (entry: string) => {
    setBusy(true);
    setError(null);
    try {
      // The status names the blocklist entry, not its id: look it up, then delete it.
      const entries = await api.listBlocklist();
      const found = entries.find((b) => b.entry.toLowerCase() === entry.toLowerCase());
      if (!found) throw new Error(`“${entry}” is on your organization's blocklist; ask an administrator to remove it.`);
      await api.deleteBlockEntry(found.id);
      announce(`Unblocked ${entry}.`);
      onRefresh();
    } catch (e) {
      setError({ e, retry: () => void unblock(entry), title: "Unblock failed" });
    } finally {
      setBusy(false);
    }
  };

  const tracked = status.people.filter((p) => p.contact && !p.isUser).map((p) => p.address);
  const heading = STATUS_HEADING[status.status];

  return (
    <Card className={styles.card} role="region" aria-labelledby="status-heading">
      <h2 id="status-heading" className={styles.heading}>
        {heading}
        {decision.source === "predicted" && status.status !== "will_be_captured" && (
          <Badge appearance="outline" size="small">
            not swept yet
          </Badge>
        )}
      </h2>

      {status.status === "captured" && (
        <>
          <Text>
            Captured {formatWhen(decision.decidedAt ?? engagement?.capturedAt)}
            {/* A short id is enough to find the sweep in GET /api/sweeps; the full UUID is noise to a person. */}
            {decision.sweepId ? ` by sweep ${decision.sweepId.slice(0, 8)}` : ""}.
          </Text>
          {engagement && engagement.clients.length > 0 && <Text>Clients: {list(engagement.clients.map((c) => c.name))}</Text>}
          {engagement && engagement.contacts.length > 0 && (
            <Text>Contacts: {list(engagement.contacts.map((c) => (c.name ? `${c.name} <${c.email}>` : c.email)))}</Text>
          )}
          {/* The engagement lives in the CRM: link there when the admin configured CRM_ENGAGEMENT_URL.
              The API URL would need a bearer token, so it is no link for a person. */}
          {engagement && config.crmEngagementUrl && (
            <Link href={config.crmEngagementUrl.replace("{id}", encodeURIComponent(engagement.id))} target="_blank" rel="noreferrer">
              Open the engagement
            </Link>
          )}
          {engagement && !config.crmEngagementUrl && (
            <Text size={200} className={styles.muted}>
              Engagement {engagement.id}
            </Text>
          )}
        </>
      )}

      {status.status === "will_be_captured" && (
        <>
          <Text>
            At the next sweep, {formatWhen(status.nextSweepAt)}
            {tracked.length > 0 ? `, because ${list(tracked)} ${tracked.length === 1 ? "is" : "are"} tracked.` : "."}
          </Text>
          <div className={styles.actions}>
            <Button appearance="primary" onClick={captureNow} disabled={busy || !message.restItemId}>
              {busy ? "Capturing…" : "Capture now"}
            </Button>
          </div>
          {!message.restItemId && (
            <Text size={200} className={styles.muted}>
              Outlook didn't give this message's id, so it can't be captured from here; the sweep will capture it.
            </Text>
          )}
        </>
      )}

      {status.status === "not_captured" && (
        <>
          {decision.reason && (
            <Badge appearance="tint" color="warning" style={{ alignSelf: "flex-start" }}>
              {REASON_TEXTS[decision.reason]?.title ?? decision.reason}
            </Badge>
          )}
          <Text data-testid="status-explanation">{decision.explanation}</Text>
          {decision.action ? (
            <div className={styles.actions}>
              <Button
                appearance="primary"
                disabled={busy}
                onClick={() => {
                  const a = decision.action!;
                  if (a.kind === "track_contact") onTrack(a.address);
                  else void unblock(a.entry);
                }}
              >
                {decision.action.label}
              </Button>
            </div>
          ) : (
            decision.reason && (
              <Text size={200} className={styles.muted}>
                {REASON_TEXTS[decision.reason]?.remedy}
              </Text>
            )
          )}
        </>
      )}

      {error && <ErrorBar error={error.e} title={error.title} onRetry={error.retry} />}
    </Card>
  );
}
