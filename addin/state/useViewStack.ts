/**
 * Views opened on top of each other inside a tab (message → history → one email): Back closes the top
 * one and gives focus back to the control that opened it, which stayed on the page underneath.
 */
import { useCallback, useRef, useState } from "react";
import { useFocusAfterSwap } from "./useFocusAfterSwap";

export interface ViewStack<S> {
  /** The views opened, bottom first; empty when only the tab's own view shows. */
  views: S[];
  top: S | null;
  /** Opens a view; whatever has focus now gets it back when the view is closed. */
  open(view: S): void;
  back(): void;
}

export function useViewStack<S>(): ViewStack<S> {
  const [entries, setEntries] = useState<{ view: S; opener: HTMLElement | null }[]>([]);
  const current = useRef(entries);
  current.current = entries;
  const focusNext = useFocusAfterSwap((el: HTMLElement | null) => (el?.isConnected ? el : null), {
    dropWhenMissing: true,
  });
  const open = useCallback((view: S) => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setEntries((s) => [...s, { view, opener }]);
  }, []);
  const back = useCallback(() => {
    const top = current.current[current.current.length - 1];
    if (!top) return;
    focusNext(top.opener);
    setEntries((s) => s.slice(0, -1));
  }, [focusNext]);
  const views = entries.map((e) => e.view);
  return { views, top: views[views.length - 1] ?? null, open, back };
}
