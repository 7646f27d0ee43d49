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
});

export const CONNECTION_LABEL: Record<ConnectionStatus, string> = {
  active: "Connected",
  not_connected: "Not connected",
  reauth_required: "Reconnect needed",
  disconnected: "Disconnected",
};

const COLOR: Record<ConnectionStatus, "success" | "informative" | "warning" | "subtle"> = {
  active: "success",
  not_connected: "informative",
  reauth_required: "warning",
  disconnected: "subtle",
};

/** Banner: product name and the mailbox connection state at a glance. */
export function Header({ connection }: { connection: ConnectionStatus | null }) {
  const styles = useStyles();
  return (
    <header className={styles.root}>
      <Text as="h1" weight="semibold" size={400} style={{ margin: 0 }}>
        Engagement Capture
      </Text>
      <Badge appearance="tint" color={connection ? COLOR[connection] : "subtle"} aria-label={`Mailbox: ${connection ? CONNECTION_LABEL[connection] : "checking"}`}>
        {connection ? CONNECTION_LABEL[connection] : "Checking…"}
      </Badge>
    </header>
  );
}
