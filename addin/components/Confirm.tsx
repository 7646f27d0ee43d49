/**
 * The second, deliberate click before an action that is hard to undo (Disconnect, Unblock for
 * everyone): a question with Yes and Cancel. Cancel takes focus when the question appears (the safe
 * choice); Escape cancels, as Cancel does, except while the action runs.
 */
import { useEffect, useId, useRef, type ReactNode } from "react";
import { Button, Text, makeStyles, tokens } from "@fluentui/react-components";

const useStyles = makeStyles({
  root: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  question: { minWidth: 0, overflowWrap: "anywhere" },
  actions: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap", minWidth: 0 },
});

export interface ConfirmProps {
  /** The question, which also names the group for assistive technology. */
  question: ReactNode;
  /** The confirming button's label ("Yes, disconnect"), and its label while the action runs. */
  confirmLabel: string;
  busyLabel: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  /**
   * Keep the buttons focusable while busy (aria-disabled): a disabled button drops focus to the
   * document, and a failure would leave a keyboard user at the top of the pane instead of beside Retry.
   */
  focusableWhileBusy?: boolean;
  /** Choices that go with the question (remove what was captured too), between it and the buttons. */
  children?: ReactNode;
}

export function Confirm({
  question,
  confirmLabel,
  busyLabel,
  busy,
  onConfirm,
  onCancel,
  focusableWhileBusy = false,
  children,
}: ConfirmProps) {
  const styles = useStyles();
  const questionId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  const disabling = focusableWhileBusy ? { disabledFocusable: busy } : { disabled: busy };
  return (
    <div
      role="group"
      aria-labelledby={questionId}
      className={styles.root}
      onKeyDown={(e) => {
        if (e.key === "Escape" && !busy) onCancel();
      }}
    >
      <Text id={questionId} className={styles.question}>
        {question}
      </Text>
      {children}
      <div className={styles.actions}>
        <Button appearance="primary" size="small" onClick={onConfirm} {...disabling}>
          {busy ? busyLabel : confirmLabel}
        </Button>
        <Button ref={cancel} size="small" onClick={onCancel} {...disabling}>
          Cancel
        </Button>
      </div>
    </div>
  );
}
