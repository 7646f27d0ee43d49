/**
 * Focus for a control that replaced the one the user pressed (Disconnect → Cancel → Connect): the
 * pressed button is gone, so focus would drop to the document. Ask for a target by name; it takes
 * focus once it is on the page.
 */
import { useCallback, useEffect, useRef } from "react";

export interface FocusAfterSwapOptions {
  /** False while the replacement cannot be there yet (still loading, a dialog open): the request waits. */
  ready?: boolean;
  /**
   * Once ready, drop the request when its target is missing (something else was shown instead)
   * rather than wait for the target to appear later.
   */
  dropWhenMissing?: boolean;
}

/**
 * `find` names the element for each target (read after every render); returns `focusNext(target)`,
 * which asks for that focus after the coming render.
 */
export function useFocusAfterSwap<K>(
  find: (target: K) => Element | null | undefined,
  options: FocusAfterSwapOptions = {},
): (target: K) => void {
  const { ready = true, dropWhenMissing = false } = options;
  const pending = useRef<{ target: K } | null>(null);
  const findRef = useRef(find);
  findRef.current = find;
  useEffect(() => {
    if (!pending.current || !ready) return;
    const element = findRef.current(pending.current.target);
    const focusable = element instanceof HTMLElement ? element : null;
    if (!focusable && !dropWhenMissing) return;
    pending.current = null;
    focusable?.focus();
  });
  return useCallback((target: K) => {
    pending.current = { target };
  }, []);
}
