/** The way back from a view that replaced another: a button, and Escape or Alt+Left anywhere in the view. */
import type { KeyboardEvent } from "react";
import { Button } from "@fluentui/react-components";

export function BackBar({ label, onBack }: { label: string; onBack: () => void }) {
  return (
    <div>
      <Button appearance="subtle" size="small" onClick={onBack} title={`${label} (Esc)`}>
        <span aria-hidden="true">←&nbsp;</span>
        {label}
      </Button>
    </div>
  );
}

/**
 * Escape or Alt+Left goes back, as in a browser; not while a menu, a list or a dialog inside the view
 * uses Escape itself (it stops the event), and not from a text field, where Alt+Left moves the caret.
 */
export function backOnKeys(onBack: () => void) {
  return (e: KeyboardEvent) => {
    if (e.defaultPrevented) return;
    const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
    if (e.key === "Escape" || (e.key === "ArrowLeft" && e.altKey && !inField)) {
      e.preventDefault();
      e.stopPropagation();
      onBack();
    }
  };
}
