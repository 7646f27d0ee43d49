/**
 * Before untracking or blocking: the offer to also remove engagements already captured, with the
 * server's count (its removal preview) and what stays. Unchecked by default: removal deletes content.
 */
import { Checkbox, Text, makeStyles, tokens } from "@fluentui/react-components";
import type { RemovalPreview } from "../../shared/api/contract";
import { isForbidden } from "../state/errors";
import { engagements, removalNotes } from "../state/removal";
import { useResource } from "../state/useResource";
import { ErrorBar } from "./ErrorBar";
import { Loading } from "./Loading";

const useStyles = makeStyles({
  root: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalXS,
    minWidth: 0,
    overflowWrap: "anywhere",
  },
  muted: { color: tokens.colorNeutralForeground3 },
});

export interface RemovalChoiceProps {
  /** Reads the preview; its key reloads it (another entry or scope). */
  load: () => Promise<RemovalPreview>;
  loadKey: string;
  /** Who or what ("this contact", "alex@fabrikam.com"). */
  subject: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}

export function RemovalChoice({ load, loadKey, subject, checked, onChange }: RemovalChoiceProps) {
  const styles = useStyles();
  const preview = useResource<RemovalPreview>(load, loadKey);
  if (preview.loading) return <Loading label="Counting engagements already captured" rows={1} />;
  // A member can't remove what the organization shares: no offer, nothing to explain beyond the question.
  if (preview.error && isForbidden(preview.error)) return null;
  if (preview.error)
    return (
      <ErrorBar
        error={preview.error}
        title="Couldn't count the engagements already captured"
        onRetry={preview.reload}
      />
    );
  const p = preview.data;
  if (!p) return null;
  if (p.engagements === 0) {
    return (
      <div className={styles.root}>
        <Text size={200}>
          {p.keptShared + p.keptOtherContact > 0
            ? `No engagement already captured with ${subject} can be removed from here; those captured stay.`
            : `No engagements have been captured with ${subject}.`}
        </Text>
      </div>
    );
  }
  return (
    <div className={styles.root}>
      <Checkbox
        checked={checked}
        onChange={(_, d) => onChange(d.checked === true)}
        label={`Also remove the ${engagements(p.engagements)} already captured with ${subject}`}
      />
      {removalNotes(p).map((n) => (
        <Text key={n} size={200} className={styles.muted}>
          {n}
        </Text>
      ))}
    </div>
  );
}
