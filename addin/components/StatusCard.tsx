/**
 * The open message's capture status: Captured / Will be captured / Not captured, each with what
 * the user can do next. The sentences come from the API (the shared capture rules), not from here.
 */
import { useRef, useState, type RefObject } from "react";
import {
  Badge,
  Button,
  Card,
  Link,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import type { BlockEntryView, MessageStatusResponse } from "../../shared/api/contract";
import { REASON_TEXTS, type CaptureAction, type ReasonCode } from "../../shared/capture/reasons";
import type { OpenMessage } from "../office/message";
import { isForbidden } from "../state/errors";
import { formatWhen } from "../state/format";
import { useAction } from "../state/useAction";
import { useFocusAfterSwap } from "../state/useFocusAfterSwap";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { Confirm } from "./Confirm";
import { ErrorBar } from "./ErrorBar";
import { Loading } from "./Loading";

const useStyles = makeStyles({
  // Addresses have no spaces: let sentences break anywhere rather than run past the card.
  card: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    minWidth: 0,
    overflowWrap: "anywhere",
  },
  // The line height goes with the font size: at the inherited 20 px, the 20 px bold glyphs overflow the box and
  // the focus outline (the heading takes focus after Unblock, Track, Capture now) cuts through them.
  heading: { margin: 0, fontSize: tokens.fontSizeBase500, lineHeight: tokens.lineHeightBase500 },
  headingRow: { display: "flex", alignItems: "center", flexWrap: "wrap", gap: tokens.spacingHorizontalS },
  muted: { color: tokens.colorNeutralForeground3 },
  actions: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap", minWidth: 0 },
  // Fluent centres a button's content and hides its overflow, which clips a long label on both
  // sides: the button may be as wide as the card, and its label ends in an ellipsis instead.
  wideButton: { maxWidth: "100%", minWidth: 0 },
  buttonLabel: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap", minWidth: 0 },
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

/**
 * The reason's general remedy, beside the decision's sentence, only where it says something the
 * sentence doesn't: the folder sentence already says what to do, and for an item that isn't email
 * or mail from before the capture window there is nothing to do that the sentence hasn't said.
 */
const SENTENCE_SAYS_IT: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  "not_an_email",
  "excluded_folder",
  "before_connection",
]);
function remedyAdds(
  d: MessageStatusResponse["decision"],
): d is MessageStatusResponse["decision"] & { reason: ReasonCode } {
  return d.reason != null && !SENTENCE_SAYS_IT.has(d.reason) && d.reason in REASON_TEXTS;
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
  /** The status heading, focused when the card's content changes under the user's focus. */
  headingRef?: RefObject<HTMLHeadingElement | null>;
  /** The user holds the administrator role (GET /api/me): organization-wide entries may be removed too. */
  isAdmin?: boolean;
  /** Open the captured email in the pane. */
  onOpenEngagement?: (engagementId: string) => void;
}

export function StatusCard({
  status,
  message,
  onStatus,
  onTrack,
  onRefresh,
  headingRef,
  isAdmin = false,
  onOpenEngagement,
}: StatusCardProps) {
  const styles = useStyles();
  const { api, config } = useServices();
  const { busy, failure, run } = useAction();
  const { decision, engagement } = status;
  // Everyone may remove their own (personal) blocklist entries; an organization entry only an
  // administrator. The status names the entry, not its scope: look it up first. With both, the
  // personal one goes first: it is the user's own, and removing it changes nobody else's capture.
  const unblockEntry = decision.action?.kind === "unblock" ? decision.action.entry : null;
  const blocklist = useResource<BlockEntryView[]>(
    unblockEntry ? () => api.listBlocklist() : null,
    `blocklist:${unblockEntry ?? ""}`,
  );
  const entryOf = (scope: BlockEntryView["scope"]) =>
    unblockEntry
      ? blocklist.data?.find((b) => b.scope === scope && b.entry.toLowerCase() === unblockEntry.toLowerCase())
      : undefined;
  const personalEntry = entryOf("personal");
  const organizationListed = entryOf("organization");
  const organizationEntry = isAdmin ? organizationListed : undefined;

  const captureNow = () => {
    const restItemId = message.restItemId;
    if (!restItemId) return;
    void run(
      async () => {
        const next = await api.captureNow({ restItemId, internetMessageId: message.internetMessageId });
        onStatus(next);
        // The Capture now button is about to go: keep focus on the card, at its (new) heading.
        headingRef?.current?.focus();
        return next.status === "captured"
          ? "Captured."
          : `${STATUS_HEADING[next.status]}. ${next.decision.explanation}`;
      },
      { title: "Capture failed" },
    );
  };

  const unblock = async (entry: BlockEntryView) => {
    await api.deleteBlockEntry(entry.id);
    onRefresh();
    // The organization's entry for the same address or domain still blocks the message: don't say "Unblocked".
    return organizationListed
      ? `Removed ${entry.entry} from your blocklist. Your organization's blocklist still blocks it.`
      : `Unblocked ${entry.entry}.`;
  };

  const trackButton = (a: Extract<CaptureAction, { kind: "track_contact" }>) => {
    const person = status.people.find((p) => p.address.toLowerCase() === a.address.toLowerCase());
    const name = person?.name ?? person?.contact?.name ?? null;
    // A name fits the card where an address often doesn't; the address stays in the accessible
    // name (which starts with the visible label) and in the tooltip.
    return (
      <div className={styles.actions}>
        <Button
          appearance="primary"
          className={styles.wideButton}
          disabled={busy}
          onClick={() => onTrack(a.address)}
          aria-label={name ? `Track ${name} (${a.address})` : undefined}
          title={a.address}
        >
          <span className={styles.buttonLabel}>{name ? `Track ${name}` : a.label}</span>
        </Button>
      </div>
    );
  };

  const unblockAction = (a: Extract<CaptureAction, { kind: "unblock" }>) => {
    if (blocklist.loading) return <Loading label="Checking the blocklist" rows={1} />;
    if (blocklist.error)
      return <ErrorBar error={blocklist.error} title="Couldn't check the blocklist" onRetry={blocklist.reload} />;
    if (!personalEntry && organizationEntry)
      return <OrganizationUnblock entry={organizationEntry} onRefresh={onRefresh} headingRef={headingRef} />;
    if (!personalEntry) {
      return (
        <Text size={200} className={styles.muted}>
          “{a.entry}” is on your organization's blocklist; ask an administrator to remove it.
        </Text>
      );
    }
    return (
      <>
        {/* On both lists, removing the personal entry alone leaves the message blocked: say so before the click, not after. */}
        {organizationListed && (
          <Text size={200} className={styles.muted}>
            “{a.entry}” is on your organization's blocklist too: removing it from your own list alone won't capture this
            message
            {isAdmin ? "." : "; ask an administrator to remove the organization's entry."}
          </Text>
        )}
        <div className={styles.actions}>
          <Button
            appearance="primary"
            className={styles.wideButton}
            disabled={busy}
            onClick={() => void run(() => unblock(personalEntry), { title: "Unblock failed" })}
            title={a.entry}
            aria-label={organizationListed ? `Remove from my blocklist (${a.entry})` : undefined}
          >
            <span className={styles.buttonLabel}>{organizationListed ? "Remove from my blocklist" : a.label}</span>
          </Button>
        </div>
      </>
    );
  };

  const tracked = status.people.filter((p) => p.contact && !p.isUser).map((p) => p.address);
  // Blocked now, yet captured: the server says so (and why) in its own words.
  const capturedButBlocked = status.capturedButBlocked ?? null;
  const removed = decision.removed ?? null;
  const heading = STATUS_HEADING[status.status];

  return (
    <Card className={styles.card} role="region" aria-labelledby="status-heading">
      {/* The badge is beside the heading, not in it: the heading (and the region it names) reads "Not captured", not "Not captured Not checked yet". */}
      <div className={styles.headingRow}>
        <h2 id="status-heading" ref={headingRef} tabIndex={-1} className={styles.heading}>
          {heading}
        </h2>
        {/* "Will be captured" already says that the sweep is still to come. */}
        {/* The server says when a coming sweep will read this message and may decide it (its sweep window). */}
        {status.status !== "will_be_captured" && status.awaitsSweep && (
          <Badge appearance="outline" color="informative" size="small">
            Not checked yet
          </Badge>
        )}
      </div>

      {status.status === "captured" && (
        <>
          {/* When, in words: which sweep did it is bookkeeping (GET /api/sweeps), not something a person looks for. */}
          <Text>Captured {formatWhen(decision.decidedAt ?? engagement?.capturedAt)}.</Text>
          {capturedButBlocked && (
            <MessageBar intent="info" layout="multiline">
              <MessageBarBody>
                <MessageBarTitle>Captured before the block</MessageBarTitle>
                <span data-testid="captured-but-blocked">{capturedButBlocked.explanation}</span>
              </MessageBarBody>
            </MessageBar>
          )}
          {engagement && engagement.clients.length > 0 && (
            <Text>Clients: {list(engagement.clients.map((c) => c.name))}</Text>
          )}
          {engagement && engagement.contacts.length > 0 && (
            <Text>Contacts: {list(engagement.contacts.map((c) => (c.name ? `${c.name} <${c.email}>` : c.email)))}</Text>
          )}
          {engagement && (onOpenEngagement || config.crmEngagementUrl) && (
            <div className={styles.actions}>
              {onOpenEngagement && (
                <Button onClick={() => onOpenEngagement(engagement.id)}>Open the captured email</Button>
              )}
              {/* The engagement lives in the CRM too: link there when the admin configured CRM_ENGAGEMENT_URL. */}
              {config.crmEngagementUrl && (
                <Link
                  href={config.crmEngagementUrl.replace("{id}", encodeURIComponent(engagement.id))}
                  target="_blank"
                  rel="noreferrer"
                  style={{ alignSelf: "center" }}
                >
                  Open in the CRM
                </Link>
              )}
            </div>
          )}
        </>
      )}

      {status.status === "will_be_captured" && (
        <>
          <Text>
            At the next check of your mailbox, {formatWhen(status.nextSweepAt)}
            {tracked.length > 0 ? `, because ${list(tracked)} ${tracked.length === 1 ? "is" : "are"} tracked.` : "."}
          </Text>
          <div className={styles.actions}>
            <Button appearance="primary" onClick={captureNow} disabled={busy || !message.restItemId}>
              {busy ? "Capturing…" : "Capture now"}
            </Button>
          </div>
          {!message.restItemId && (
            <Text size={200} className={styles.muted}>
              Outlook didn't give this message's id, so it can't be captured from here; the next check of your mailbox
              will capture it.
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
          {removed && (
            <Badge appearance="tint" color="danger" style={{ alignSelf: "flex-start" }}>
              Removed {formatWhen(removed.at)}
            </Badge>
          )}
          <Text data-testid="status-explanation">{decision.explanation}</Text>
          {decision.action
            ? decision.action.kind === "track_contact"
              ? trackButton(decision.action)
              : unblockAction(decision.action)
            : remedyAdds(decision) && (
                <Text size={200} className={styles.muted}>
                  {REASON_TEXTS[decision.reason].remedy}
                </Text>
              )}
        </>
      )}

      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </Card>
  );
}

/**
 * An administrator removing an organization-wide entry: capture changes in every mailbox of the
 * organization, so the button says so and one more, deliberate click confirms (as Disconnect does).
 */
interface OrganizationUnblockProps {
  entry: BlockEntryView;
  onRefresh: () => void;
  headingRef?: RefObject<HTMLHeadingElement | null>;
}

function OrganizationUnblock({ entry, onRefresh, headingRef }: OrganizationUnblockProps) {
  const styles = useStyles();
  const { api } = useServices();
  const { busy, failure, run } = useAction();
  const [confirming, setConfirming] = useState(false);
  // The server no longer counts the user as an administrator (the role was removed since /api/me).
  const [forbidden, setForbidden] = useState(false);
  // Buttons are swapped in and out (Unblock → Cancel → Unblock): focus follows to the replacement.
  const ask = useRef<HTMLButtonElement>(null);
  const focusNext = useFocusAfterSwap((target: "ask" | "heading") =>
    target === "ask" ? ask.current : headingRef?.current,
  );

  const stopConfirming = () => {
    focusNext("ask");
    setConfirming(false);
  };

  const unblock = () =>
    run(
      async () => {
        await api.deleteBlockEntry(entry.id);
        onRefresh();
        return `Unblocked ${entry.entry} for everyone in your organization.`;
      },
      {
        title: "Unblock failed",
        recover: (e) => {
          if (!isForbidden(e)) return false;
          // Retrying cannot help, and the buttons that had focus are gone.
          setForbidden(true);
          setConfirming(false);
          focusNext("heading");
          return true;
        },
      },
    );

  if (forbidden) {
    return (
      <MessageBar intent="warning" role="alert" layout="multiline">
        <MessageBarBody>
          <MessageBarTitle>Not unblocked</MessageBarTitle>
          Your account no longer has the administrator role, so it can't change your organization's blocklist. Ask an
          administrator to remove “{entry.entry}”.
        </MessageBarBody>
      </MessageBar>
    );
  }

  return (
    <>
      <Text size={200} className={styles.muted}>
        “{entry.entry}” is on your organization's blocklist, which applies to every mailbox. As an administrator, you
        can remove it.
      </Text>
      {confirming ? (
        <Confirm
          question={`Remove “${entry.entry}” from your organization's blocklist? Its mail can then be captured in everyone's mailbox, not only yours.`}
          confirmLabel="Yes, unblock for everyone"
          busyLabel="Unblocking…"
          busy={busy}
          onConfirm={() => void unblock()}
          onCancel={stopConfirming}
          focusableWhileBusy
        />
      ) : (
        <div className={styles.actions}>
          {/* The entry can be long: the label stays short, the entry is in the accessible name and the tooltip. */}
          <Button
            ref={ask}
            appearance="primary"
            className={styles.wideButton}
            onClick={() => setConfirming(true)}
            aria-label={`Unblock for everyone (${entry.entry})`}
            title={entry.entry}
          >
            <span className={styles.buttonLabel}>Unblock for everyone</span>
          </Button>
        </div>
      )}
      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </>
  );
}
