/** Block one person from the People list: a question, and for administrators the choice of list. */
import { useState } from "react";
import { Radio, RadioGroup, makeStyles, tokens } from "@fluentui/react-components";
import type { BlockEntryView, PersonView } from "../../shared/api/contract";
import { useAction } from "../state/useAction";
import { useServices } from "../state/services";
import { RemovalChoice } from "./RemovalChoice";
import { Confirm } from "./Confirm";
import { ErrorBar } from "./ErrorBar";

const useStyles = makeStyles({
  block: {
    overflowWrap: "anywhere",
    paddingLeft: tokens.spacingHorizontalS,
    borderLeft: `2px solid ${tokens.colorNeutralStroke1}`,
  },
});

/** Block one person: personal by default; an administrator may choose the whole organization. */
export function BlockPrompt({
  person,
  isAdmin,
  onBlock,
  onCancel,
}: {
  person: PersonView;
  isAdmin: boolean;
  onBlock: (p: PersonView, scope: BlockEntryView["scope"], removeCaptured: boolean) => Promise<string>;
  onCancel: () => void;
}) {
  const styles = useStyles();
  const { busy, failure, run } = useAction();
  const { manage } = useServices();
  const [scope, setScope] = useState<BlockEntryView["scope"]>("personal");
  const [removeCaptured, setRemoveCaptured] = useState(false);
  const question =
    scope === "organization"
      ? `Block ${person.address} for everyone? Mail with them is no longer captured in any mailbox of your organization.`
      : `Block ${person.address}? Mail with them is no longer captured from your mailbox. Others in your organization are not affected.`;
  return (
    <div className={styles.block}>
      {isAdmin && (
        <RadioGroup
          value={scope}
          onChange={(_, d) => {
            setScope(d.value as BlockEntryView["scope"]);
            // Another scope reaches other engagements: the count changes, so choose again.
            setRemoveCaptured(false);
          }}
          aria-label={`Block ${person.address} for`}
        >
          <Radio value="personal" label="Only my mailbox" />
          <Radio value="organization" label="Everyone in the organization" />
        </RadioGroup>
      )}
      <Confirm
        question={question}
        confirmLabel={scope === "organization" ? "Yes, block for everyone" : "Yes, block"}
        busyLabel="Blocking…"
        busy={busy}
        onConfirm={() => void run(() => onBlock(person, scope, removeCaptured), { title: "Couldn't block" })}
        onCancel={onCancel}
        focusableWhileBusy
      >
        <RemovalChoice
          load={() => manage.previewBlock(person.address, scope)}
          loadKey={`block-removal:${scope}:${person.address}`}
          subject={person.address}
          checked={removeCaptured}
          onChange={setRemoveCaptured}
        />
      </Confirm>
      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </div>
  );
}
