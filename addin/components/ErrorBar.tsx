import {
  Button,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { describeError } from "../state/errors";

const useStyles = makeStyles({
  body: { overflowWrap: "anywhere" },
  code: { display: "block", color: tokens.colorNeutralForeground3, marginTop: tokens.spacingVerticalXXS },
});

/**
 * An error in plain words (the server's own sentence when it sent one), the code small for support,
 * and Retry when the action can be repeated.
 */
export function ErrorBar({
  error,
  title = "Something went wrong",
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  const styles = useStyles();
  const { text, code } = describeError(error);
  return (
    <MessageBar intent="error" role="alert" layout="multiline">
      <MessageBarBody className={styles.body}>
        <MessageBarTitle>{title}</MessageBarTitle>
        {text}
        {code && (
          <Text size={100} className={styles.code}>
            Error code: {code}
          </Text>
        )}
      </MessageBarBody>
      {onRetry && (
        <MessageBarActions>
          <Button onClick={onRetry}>Retry</Button>
        </MessageBarActions>
      )}
    </MessageBar>
  );
}
