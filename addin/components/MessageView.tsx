/** Everything about the open message: its capture status and its people, with the track flow. */
import { Suspense, lazy, useState } from "react";
import { Text, tokens } from "@fluentui/react-components";
import type { MessageStatusResponse, PersonView } from "../../shared/api/contract";
import { toStatusRequest, type OpenMessage } from "../office/message";
import { useAnnounce } from "../state/announcer";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { ErrorBar } from "./ErrorBar";
import { Loading } from "./Loading";
import { PeopleList } from "./PeopleList";
import { StatusCard } from "./StatusCard";
import type { TrackTarget } from "./TrackDialog";

// The track dialog (Dialog, Combobox, positioning) loads on first use, not with the pane.
const TrackDialog = lazy(() => import(/* webpackChunkName: "track" */ "./TrackDialog").then((m) => ({ default: m.TrackDialog })));

export function MessageView({ message }: { message: OpenMessage | null }) {
  if (!message) {
    return (
      <section aria-labelledby="status-heading">
        <h2 id="status-heading" style={{ fontSize: tokens.fontSizeBase500, margin: 0 }}>
          Select a message
        </h2>
        <Text>Choose an email to see whether it was captured and who on it is tracked.</Text>
      </section>
    );
  }
  // Keyed by message so a switch (ItemChanged) starts from a clean state: no stale dialog or error.
  return <OpenMessageView key={`${message.internetMessageId}|${message.restItemId ?? ""}`} message={message} />;
}

function OpenMessageView({ message }: { message: OpenMessage }) {
  const { api } = useServices();
  const announce = useAnnounce();
  const status = useResource<MessageStatusResponse>(() => api.messageStatus(toStatusRequest(message)), message.internetMessageId);
  const [track, setTrack] = useState<TrackTarget | null>(null);

  const openTrack = (address: string) => {
    const p: PersonView | undefined = status.data?.people.find((x) => x.address.toLowerCase() === address.toLowerCase());
    setTrack({ address, name: p?.name ?? null });
  };

  return (
    <>
      {message.subject && (
        <Text size={200} style={{ color: tokens.colorNeutralForeground3 }} truncate wrap={false} block>
          {message.subject}
        </Text>
      )}
      {status.loading && <Loading label="Loading capture status" rows={4} />}
      {!!status.error && !status.loading && <ErrorBar error={status.error} title="Couldn't load this message's status" onRetry={status.reload} />}
      {status.data && !status.loading && (
        <>
          <StatusCard status={status.data} message={message} onStatus={status.set} onTrack={openTrack} onRefresh={status.reload} />
          <PeopleList people={status.data.people} onTrack={(p) => openTrack(p.address)} />
        </>
      )}
      {track && (
        <Suspense fallback={<Loading label="Opening the track form" rows={1} />}>
          <TrackDialog
            target={track}
            onClose={() => setTrack(null)}
            onTracked={(c) => {
              setTrack(null);
              announce(`Tracking ${c.email}${c.client ? ` for ${c.client.name}` : ""}.`);
              status.reload();
            }}
          />
        </Suspense>
      )}
    </>
  );
}
