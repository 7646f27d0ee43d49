/** Everything about the open message: its capture status and its people, with the track flow. */
import { Suspense, useEffect, useRef, useState } from "react";
import { Text, tokens } from "@fluentui/react-components";
import type { BlockEntryView, MessageStatusResponse, PersonView } from "../../shared/api/contract";
import { toStatusRequest, type OpenMessage } from "../office/message";
import { useAnnounce } from "../state/announcer";
import { removedSentence } from "../state/removal";
import { useFocusAfterSwap } from "../state/useFocusAfterSwap";
import { useViewStack } from "../state/useViewStack";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { ErrorBar } from "./ErrorBar";
import { ErrorBoundary, useRetryableLazy } from "./ErrorBoundary";
import { Loading } from "./Loading";
import { PeopleList } from "./PeopleList";
import { StatusCard } from "./StatusCard";
import type { HistoryPerson } from "./HistoryView";
import type { TrackTarget } from "./TrackDialog";

// The track dialog (Dialog, Combobox, positioning) loads on first use, not with the pane.
const loadTrackDialog = () =>
  import(/* webpackChunkName: "track" */ "./TrackDialog").then((m) => ({ default: m.TrackDialog }));
// A person's history and one captured email: their own chunk, loaded when first opened.
const loadHistory = () =>
  import(/* webpackChunkName: "history" */ "./HistoryView").then((m) => ({ default: m.HistoryView }));
const loadEngagement = () =>
  import(/* webpackChunkName: "engagement" */ "./EngagementView").then((m) => ({ default: m.EngagementView }));

/** What can open over the message: a tracked person's history, one captured email. */
type Over =
  { kind: "history"; person: HistoryPerson } | { kind: "engagement"; engagementId: string; backLabel: string };

export interface MessageViewProps {
  message: OpenMessage | null;
  /** True once after Sign in: the status heading should take focus when it is shown. */
  takeFocusRequest?: () => boolean;
  /** The user holds the administrator role (GET /api/me). */
  isAdmin?: boolean;
  /** The user's own domains (GET /api/me): colleagues are never offered Track. */
  ownDomains?: readonly string[];
}

const NO_DOMAINS: readonly string[] = [];

export function MessageView({ message, takeFocusRequest, isAdmin = false, ownDomains = NO_DOMAINS }: MessageViewProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!message && takeFocusRequest?.()) heading.current?.focus();
  }, [message, takeFocusRequest]);
  if (!message) {
    return (
      <section aria-labelledby="status-heading">
        <h2
          id="status-heading"
          ref={heading}
          tabIndex={-1}
          style={{ fontSize: tokens.fontSizeBase500, lineHeight: tokens.lineHeightBase500, margin: 0 }}
        >
          Select a message
        </h2>
        <Text>Choose an email to see whether it was captured and who on it is tracked.</Text>
      </section>
    );
  }
  // Keyed by message so a switch (ItemChanged) starts from a clean state: no stale dialog or error.
  return (
    <OpenMessageView
      key={`${message.internetMessageId}|${message.restItemId ?? ""}`}
      message={message}
      takeFocusRequest={takeFocusRequest}
      isAdmin={isAdmin}
      ownDomains={ownDomains}
    />
  );
}

interface OpenMessageViewProps {
  message: OpenMessage;
  takeFocusRequest?: () => boolean;
  isAdmin: boolean;
  ownDomains: readonly string[];
}

function OpenMessageView({ message, takeFocusRequest, isAdmin, ownDomains }: OpenMessageViewProps) {
  const { api, manage } = useServices();
  const announce = useAnnounce();
  const status = useResource<MessageStatusResponse>(
    () => api.messageStatus(toStatusRequest(message)),
    message.internetMessageId,
  );
  const [track, setTrack] = useState<TrackTarget | null>(null);
  const [TrackDialog, retryTrackDialog] = useRetryableLazy(loadTrackDialog);
  const over = useViewStack<Over>();

  // Focus goes somewhere sensible when what had it disappears: back to the button that opened the
  // track dialog, or to the status heading when the card was replaced (after tracking, unblocking,
  // signing in). The dialog is unmounted on close, so Fluent has nothing to restore focus from.
  // Unlike the panel's buttons, the heading may not come back (an error shows instead): the request is then dropped.
  const heading = useRef<HTMLHeadingElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const focusTarget = (target: "opener" | "status") =>
    target === "opener" && opener.current?.isConnected ? opener.current : heading.current;
  const focusNext = useFocusAfterSwap(focusTarget, { ready: !track && !status.loading, dropWhenMissing: true });
  useEffect(() => {
    if (takeFocusRequest?.()) focusNext("status");
  }, [takeFocusRequest, focusNext]);

  const openTrack = (address: string) => {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const p: PersonView | undefined = status.data?.people.find(
      (x) => x.address.toLowerCase() === address.toLowerCase(),
    );
    setTrack({ address, name: p?.name ?? null });
  };
  const refreshAndFocus = () => {
    focusNext("status");
    status.reload();
  };
  const block = async (p: PersonView, scope: BlockEntryView["scope"], removeCaptured: boolean) => {
    const entry = await manage.addBlockEntry({ entry: p.address, scope, removeCaptured });
    refreshAndFocus();
    const blocked =
      scope === "organization"
        ? `Blocked ${entry.entry} for everyone in your organization.`
        : `Blocked ${entry.entry} in your mailbox.`;
    return removeCaptured ? `${blocked} ${removedSentence(entry.removedEngagements)}` : blocked;
  };

  const openHistory = (p: PersonView) => {
    if (!p.contact) return;
    over.open({
      kind: "history",
      person: { contactId: p.contact.id, label: p.name ?? p.contact.name ?? p.address, client: p.contact.client },
    });
  };

  return (
    <>
      {over.views.map((v, i) => (
        // Views underneath stay mounted (hidden): their pages and the control that opened the next view survive Back.
        <div key={i} hidden={i !== over.views.length - 1}>
          <OverView
            view={v}
            onBack={over.back}
            onOpenEngagement={(id, backLabel) => over.open({ kind: "engagement", engagementId: id, backLabel })}
          />
        </div>
      ))}
      <div hidden={over.top !== null}>
        {message.subject && (
          <Text size={200} style={{ color: tokens.colorNeutralForeground3 }} truncate wrap={false} block>
            {message.subject}
          </Text>
        )}
        {status.loading && <Loading label="Loading capture status" rows={4} />}
        {!!status.error && !status.loading && (
          <ErrorBar error={status.error} title="Couldn't load this message's status" onRetry={status.reload} />
        )}
        {status.data && !status.loading && (
          <>
            <StatusCard
              status={status.data}
              message={message}
              headingRef={heading}
              onStatus={status.set}
              onTrack={openTrack}
              onRefresh={refreshAndFocus}
              isAdmin={isAdmin}
              onOpenEngagement={(id) =>
                over.open({ kind: "engagement", engagementId: id, backLabel: "Back to the message" })
              }
            />
            <PeopleList
              people={status.data.people}
              onTrack={(p) => openTrack(p.address)}
              onBlock={block}
              ownDomains={ownDomains}
              isAdmin={isAdmin}
              onHistory={openHistory}
            />
          </>
        )}
      </div>
      {track && (
        <ErrorBoundary onRetry={retryTrackDialog}>
          <Suspense fallback={<Loading label="Opening the track form" rows={1} />}>
            <TrackDialog
              target={track}
              ownDomains={ownDomains}
              onClose={() => {
                focusNext("opener");
                setTrack(null);
              }}
              onTracked={(c) => {
                focusNext("status");
                setTrack(null);
                announce(`Tracking ${c.email}${c.client ? ` for ${c.client.name}` : ""}.`);
                status.reload();
              }}
            />
          </Suspense>
        </ErrorBoundary>
      )}
    </>
  );
}

/** One view over the message, each in its own chunk, with Retry when its download failed. */
function OverView({
  view,
  onBack,
  onOpenEngagement,
}: {
  view: Over;
  onBack: () => void;
  onOpenEngagement: (id: string, backLabel: string) => void;
}) {
  const [History, retryHistory] = useRetryableLazy(loadHistory);
  const [Engagement, retryEngagement] = useRetryableLazy(loadEngagement);
  if (view.kind === "history") {
    return (
      <ErrorBoundary onRetry={retryHistory}>
        <Suspense fallback={<Loading label="Opening the history" />}>
          <History
            person={view.person}
            backLabel="Back to the message"
            onBack={onBack}
            onOpen={(e) => onOpenEngagement(e.id, "Back to the history")}
          />
        </Suspense>
      </ErrorBoundary>
    );
  }
  return (
    <ErrorBoundary onRetry={retryEngagement}>
      <Suspense fallback={<Loading label="Opening the email" />}>
        <Engagement engagementId={view.engagementId} backLabel={view.backLabel} onBack={onBack} />
      </Suspense>
    </ErrorBoundary>
  );
}
