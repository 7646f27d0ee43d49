/** The selected message, following ItemChanged while the pane is pinned. */
import { useEffect, useState } from "react";
import { onItemChanged } from "../office/events";
import { readOpenMessage, type OpenMessage } from "../office/message";

export function useOpenMessage(): OpenMessage | null {
  const [message, setMessage] = useState<OpenMessage | null>(() => readOpenMessage());
  useEffect(() => {
    let unsubscribe: (() => Promise<void>) | null = null;
    let live = true;
    onItemChanged(() => setMessage(readOpenMessage())).then(
      (off) => (live ? (unsubscribe = off) : void off()),
      () => undefined, // hosts below Mailbox 1.5: the pane simply doesn't follow selection
    );
    return () => {
      live = false;
      void unsubscribe?.();
    };
  }, []);
  return message;
}
