/** The selected message, following ItemChanged while the pane is pinned. */
import { useEffect, useState } from "react";
import { onItemChanged } from "../office/events";
import { readOpenMessage, type OpenMessage } from "../office/message";

/** The same message as far as the pane is concerned (MessageView keys on these two ids). */
function sameMessage(a: OpenMessage | null, b: OpenMessage | null): boolean {
  return (
    a === b ||
    (a !== null && b !== null && a.internetMessageId === b.internetMessageId && a.restItemId === b.restItemId)
  );
}

export function useOpenMessage(): OpenMessage | null {
  const [message, setMessage] = useState<OpenMessage | null>(() => readOpenMessage());
  useEffect(() => {
    let unsubscribe: (() => Promise<void>) | null = null;
    let live = true;
    const follow = () =>
      setMessage((shown) => {
        const now = readOpenMessage();
        return sameMessage(shown, now) ? shown : now;
      });
    onItemChanged(follow).then(
      (off) => {
        if (!live) return void off();
        unsubscribe = off;
        // A selection made between the first read and the handler's registration fired no event the
        // pane could hear: read the item again now that every later change will be heard.
        follow();
      },
      () => undefined, // hosts below Mailbox 1.5: the pane simply doesn't follow selection
    );
    return () => {
      live = false;
      void unsubscribe?.();
    };
  }, []);
  return message;
}
