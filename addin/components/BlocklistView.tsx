/**
 * The blocklist: the user's personal entries (anyone adds an address or an @domain, or removes one)
 * and the organization's entries (administrators add and remove; members read them). Loaded on first use.
 */
import { useRef, useState } from "react";
import { Button, Field, Input, Radio, RadioGroup, Text, makeStyles, tokens } from "@fluentui/react-components";
import type { BlockEntryView } from "../../shared/api/contract";
import { normalizeBlockEntry } from "../../shared/capture/address";
import { useAnnounce } from "../state/announcer";
import { isForbidden } from "../state/errors";
import { formatWhen } from "../state/format";
import { useAction } from "../state/useAction";
import { useFocusAfterSwap } from "../state/useFocusAfterSwap";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { removedSentence } from "../state/removal";
import { Confirm } from "./Confirm";
import { RemovalChoice } from "./RemovalChoice";
import { ErrorBar } from "./ErrorBar";
import { Loading } from "./Loading";
import { column, plainList, tabHeading } from "./pane-styles";

const useStyles = makeStyles({
  root: { ...column, gap: tokens.spacingVerticalM, overflowWrap: "anywhere" },
  heading: tabHeading,
  subheading: { margin: 0, fontSize: tokens.fontSizeBase300 },
  section: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS, minWidth: 0 },
  list: { ...plainList, gap: tokens.spacingVerticalS },
  item: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXS, minWidth: 0 },
  row: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalS,
    minWidth: 0,
  },
  who: { display: "flex", flexDirection: "column", minWidth: 0 },
  muted: { color: tokens.colorNeutralForeground3 },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  actions: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap" },
});

type Scope = BlockEntryView["scope"];

export function BlocklistView({ isAdmin = false }: { isAdmin?: boolean }) {
  const styles = useStyles();
  const { api } = useServices();
  const list = useResource<BlockEntryView[]>(() => api.listBlocklist(), "blocklist");
  const entries = list.data ?? [];
  const of = (scope: Scope) => entries.filter((e) => e.scope === scope).sort((a, b) => a.entry.localeCompare(b.entry));
  // After a removal the entry's buttons are gone: focus goes to the section's heading.
  const headings = { personal: useRef<HTMLHeadingElement>(null), organization: useRef<HTMLHeadingElement>(null) };
  const focusNext = useFocusAfterSwap((scope: Scope) => headings[scope].current, {
    ready: !list.loading,
    dropWhenMissing: true,
  });

  return (
    <section aria-labelledby="blocklist-heading" className={styles.root}>
      <h2 id="blocklist-heading" className={styles.heading}>
        Blocklist
      </h2>
      <Text size={200} className={styles.muted}>
        Email with a blocked address or domain is never captured. Blocking keeps email already captured unless you
        choose to remove it when you add an entry.
      </Text>
      <AddEntry isAdmin={isAdmin} onAdded={list.reload} />
      {list.loading && !list.data && <Loading label="Loading the blocklist" />}
      {!!list.error && <ErrorBar error={list.error} title="Couldn't load the blocklist" onRetry={list.reload} />}
      {list.data && (
        <>
          <EntrySection
            scope="personal"
            title="Your blocklist"
            empty="You haven't blocked anyone. Your entries apply to your mailbox only."
            entries={of("personal")}
            canRemove
            headingRef={headings.personal}
            onRemoved={() => {
              focusNext("personal");
              list.reload();
            }}
          />
          <EntrySection
            scope="organization"
            title="Your organization's blocklist"
            empty="Your organization hasn't blocked anyone."
            note={
              isAdmin
                ? "These apply to every mailbox in your organization."
                : "These apply to every mailbox in your organization. Only an administrator can change them."
            }
            entries={of("organization")}
            canRemove={isAdmin}
            headingRef={headings.organization}
            onRemoved={() => {
              focusNext("organization");
              list.reload();
            }}
          />
        </>
      )}
    </section>
  );
}

function AddEntry({ isAdmin, onAdded }: { isAdmin: boolean; onAdded: () => void }) {
  const styles = useStyles();
  const { manage } = useServices();
  const [value, setValue] = useState("");
  const [scope, setScope] = useState<Scope>("personal");
  const [invalid, setInvalid] = useState(false);
  // The entry waiting for its confirmation (and the choice to remove what was captured with it).
  const [pending, setPending] = useState<string | null>(null);
  const [removeCaptured, setRemoveCaptured] = useState(false);
  const { busy, failure, run, clear } = useAction();
  const input = useRef<HTMLInputElement>(null);

  const ask = () => {
    const entry = normalizeBlockEntry(value);
    if (!entry) {
      setInvalid(true);
      input.current?.focus();
      return;
    }
    setInvalid(false);
    setRemoveCaptured(false);
    setPending(entry);
  };
  const cancel = () => {
    clear();
    setPending(null);
    input.current?.focus();
  };
  const add = (entry: string) =>
    void run(
      async () => {
        const added = await manage.addBlockEntry({ entry, scope, removeCaptured });
        setValue("");
        setPending(null);
        onAdded();
        input.current?.focus();
        const blocked =
          added.scope === "organization"
            ? `Blocked ${added.entry} for everyone in your organization.`
            : `Blocked ${added.entry} in your mailbox.`;
        return removeCaptured ? `${blocked} ${removedSentence(added.removedEngagements)}` : blocked;
      },
      { title: "Couldn't add to the blocklist" },
    );

  return (
    <form
      className={styles.form}
      aria-label="Block an address or domain"
      onSubmit={(e) => {
        e.preventDefault();
        // Enter in the field while the question is shown would ask again and reset the choice.
        if (pending === null) ask();
      }}
    >
      <Field
        label="Block an address or domain"
        hint="An address (name@example.com) or a whole domain (@example.com)."
        validationState={invalid ? "error" : "none"}
        validationMessage={invalid ? "Enter an email address or a domain starting with @." : undefined}
      >
        <Input
          ref={input}
          value={value}
          readOnly={pending !== null}
          onChange={(_, d) => {
            setValue(d.value);
            setInvalid(false);
            clear();
          }}
        />
      </Field>
      {isAdmin && (
        <Field label="Applies to">
          <RadioGroup value={scope} disabled={pending !== null} onChange={(_, d) => setScope(d.value as Scope)}>
            <Radio value="personal" label="Only my mailbox" />
            <Radio value="organization" label="Everyone in the organization" />
          </RadioGroup>
        </Field>
      )}
      {pending === null ? (
        <div className={styles.actions}>
          <Button type="submit" appearance="primary">
            {scope === "organization" ? "Block for everyone" : "Block"}
          </Button>
        </div>
      ) : (
        <Confirm
          question={
            scope === "organization"
              ? `Block ${pending} for everyone? Mail with it is no longer captured in any mailbox of your organization.`
              : `Block ${pending}? Mail with it is no longer captured from your mailbox. Others in your organization are not affected.`
          }
          confirmLabel={scope === "organization" ? "Yes, block for everyone" : "Yes, block"}
          busyLabel="Blocking…"
          busy={busy}
          onConfirm={() => add(pending)}
          onCancel={cancel}
          focusableWhileBusy
        >
          <RemovalChoice
            load={() => manage.previewBlock(pending, scope)}
            loadKey={`block-removal:${scope}:${pending}`}
            subject={pending}
            checked={removeCaptured}
            onChange={setRemoveCaptured}
          />
        </Confirm>
      )}
      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </form>
  );
}

interface EntrySectionProps {
  scope: Scope;
  title: string;
  empty: string;
  note?: string;
  entries: BlockEntryView[];
  canRemove: boolean;
  headingRef: React.RefObject<HTMLHeadingElement | null>;
  onRemoved: () => void;
}

function EntrySection({ scope, title, empty, note, entries, canRemove, headingRef, onRemoved }: EntrySectionProps) {
  const styles = useStyles();
  const id = `blocklist-${scope}`;
  return (
    <section aria-labelledby={id} className={styles.section}>
      <h3 id={id} ref={headingRef} tabIndex={-1} className={styles.subheading}>
        {title}
      </h3>
      {note && (
        <Text size={200} className={styles.muted}>
          {note}
        </Text>
      )}
      {entries.length === 0 ? (
        <Text>{empty}</Text>
      ) : (
        <ul className={styles.list} aria-label={title}>
          {entries.map((e) => (
            <EntryItem key={e.id} entry={e} canRemove={canRemove} onRemoved={onRemoved} />
          ))}
        </ul>
      )}
    </section>
  );
}

function EntryItem({
  entry,
  canRemove,
  onRemoved,
}: {
  entry: BlockEntryView;
  canRemove: boolean;
  onRemoved: () => void;
}) {
  const styles = useStyles();
  const { api } = useServices();
  const announce = useAnnounce();
  const { busy, failure, run } = useAction();
  const [confirming, setConfirming] = useState(false);
  const [forbidden, setForbidden] = useState(false);
  const removeButton = useRef<HTMLButtonElement>(null);
  const focusNext = useFocusAfterSwap(() => removeButton.current);
  const everyone = entry.scope === "organization";

  const remove = () =>
    run(
      async () => {
        await api.deleteBlockEntry(entry.id);
        onRemoved();
        return everyone
          ? `Removed ${entry.entry} from your organization's blocklist.`
          : `Removed ${entry.entry} from your blocklist.`;
      },
      {
        title: "Couldn't remove it",
        recover: (e) => {
          if (!isForbidden(e)) return false;
          setForbidden(true);
          setConfirming(false);
          announce("Not removed: your account can't change your organization's blocklist.");
          return true;
        },
      },
    );

  return (
    <li className={styles.item}>
      <div className={styles.row}>
        <div className={styles.who}>
          <Text weight="semibold">{entry.entry}</Text>
          <Text size={200} className={styles.muted}>
            Added {formatWhen(entry.createdAt)}
          </Text>
        </div>
        {canRemove && !confirming && !forbidden && (
          <Button
            ref={removeButton}
            size="small"
            onClick={() => setConfirming(true)}
            aria-label={`Remove ${entry.entry}`}
          >
            Remove
          </Button>
        )}
      </div>
      {confirming && (
        <Confirm
          question={
            everyone
              ? `Remove ${entry.entry} from your organization's blocklist? Its mail can then be captured in everyone's mailbox.`
              : `Remove ${entry.entry} from your blocklist? Its mail can then be captured from your mailbox.`
          }
          confirmLabel="Yes, remove"
          busyLabel="Removing…"
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => {
            focusNext(undefined);
            setConfirming(false);
          }}
          focusableWhileBusy
        />
      )}
      {forbidden && (
        <Text size={200} role="alert">
          Your account no longer has the administrator role, so it can't change your organization's blocklist.
        </Text>
      )}
      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </li>
  );
}
