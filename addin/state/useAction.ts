/**
 * An action the user starts with a button (Capture now, Unblock, Disconnect, Track…): busy while it
 * runs, its failure kept for an error bar with Retry, and its outcome said to screen readers.
 */
import { useCallback, useState } from "react";
import { useAnnounce } from "./announcer";

export interface ActionFailure {
  error: unknown;
  /** The error bar's title ("Capture failed"). */
  title: string;
  /** Runs the same action again. */
  retry: () => void;
}

export interface RunOptions {
  title: string;
  /** What Retry does; by default the same work again. */
  retry?: () => void;
  /** Takes a failure that an error bar with Retry would not help with; true when it was taken. */
  recover?: (error: unknown) => boolean;
}

/** The work of an action; the sentence it resolves to (if any) is announced. */
export type ActionWork = () => Promise<string | void>;

export interface Action {
  busy: boolean;
  failure: ActionFailure | null;
  /** Clears the last failure, runs the work, and keeps busy set until it settles. */
  run(work: ActionWork, options: RunOptions): Promise<void>;
  /** Forgets the last failure (what it was about is gone). */
  clear(): void;
}

export function useAction(): Action {
  const announce = useAnnounce();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ActionFailure | null>(null);
  const run = useCallback(
    async function run(work: ActionWork, options: RunOptions): Promise<void> {
      setBusy(true);
      setFailure(null);
      try {
        const said = await work();
        if (said) announce(said);
      } catch (error) {
        if (options.recover?.(error)) return;
        setFailure({ error, title: options.title, retry: options.retry ?? (() => void run(work, options)) });
      } finally {
        setBusy(false);
      }
    },
    [announce],
  );
  const clear = useCallback(() => setFailure(null), []);
  return { busy, failure, run, clear };
}
