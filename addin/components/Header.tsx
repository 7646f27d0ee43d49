import { Badge, Text, makeStyles, tokens } from "@fluentui/react-components";
import type { ConnectionStatus } from "../../shared/api/contract";

const useStyles = makeStyles({
  root: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalS,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  // At 320 px "Reconnect needed" wrapped inside the fixed-height pill and the pill's border ran through
  // the text: the badge keeps its one line, the product name wraps instead.
  title: { margin: 0, minWidth: 0 },
  badge: { flexShrink: 0, whiteSpace: "nowrap" },
});

export const CONNECTION_LABEL: Record<ConnectionStatus, string> = {
  active: "Connected",
  not_connected: "Not connected",
  reauth_required: "Reconnect needed",
  disconnected: "Disconnected",
};

export const CONNECTION_COLOR: Record<ConnectionStatus, "success" | "informative" | "warning" | "subtle"> = {
  active: "success",
  not_connected: "informative",
  reauth_required: "warning",
  disconnected: "subtle",
};

/** Before the connection is known: still asking, signed out, or the server didn't answer. */
export type PaneState = "checking" | "signed_out" | "unavailable";

const PANE_LABEL: Record<PaneState, string> = {
  checking: "Checking…",
  signed_out: "Signed out",
  unavailable: "Unavailable",
};

/** Banner: product name and the mailbox connection state at a glance. */
export function Header({ connection }: { connection: ConnectionStatus | PaneState }) {
  const styles = useStyles();
  const known = connection in CONNECTION_LABEL ? (connection as ConnectionStatus) : null;
  const label = known ? CONNECTION_LABEL[known] : PANE_LABEL[connection as PaneState];
  return (
    <header className={styles.root}>
      <Text as="h1" weight="semibold" size={400} className={styles.title}>
        Engagement Capture
      </Text>
      <Badge
        appearance="tint"
        className={styles.badge}
        color={known ? CONNECTION_COLOR[known] : connection === "unavailable" ? "warning" : "subtle"}
        aria-label={`Mailbox: ${label.replace("…", "")}`}
      >
        {label}
      </Badge>
    </header>
  );
}
