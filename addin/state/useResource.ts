/** Load-once-per-key data with loading/error/reload, the shape every view of the pane needs. */
import { useCallback, useEffect, useRef, useState } from "react";

export interface Resource<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload(): void;
  /** Replace the data (e.g. with the answer of Capture now) without a reload. */
  set(data: T): void;
}

export function useResource<T>(load: (() => Promise<T>) | null, key: string): Resource<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: !!load,
  });
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const fn = loadRef.current;
    if (!fn) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    let live = true; // ignore answers for a message the user has already left
    setState((s) => ({ data: s.data, error: null, loading: true }));
    fn().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [key, nonce]);

  const reload = useCallback(() => {
    // Loading from this render on, not from the effect's: no frame shows the old data as current
    // (and focus logic waiting for the new data sees the wait).
    setState((s) => ({ ...s, error: null, loading: true }));
    setNonce((n) => n + 1);
  }, []);
  const set = useCallback((data: T) => setState({ data, error: null, loading: false }), []);
  return { ...state, reload, set };
}
