/**
 * Sharing levels: what teammates see of the email captured from a mailbox. A user chooses theirs (unless
 * the administrators decide for everyone); an administrator sets the organization's default and whether
 * people may choose. Loaded on first use (its own chunk).
 */
import { useEffect, useState } from "react";
import { Button, Radio, RadioGroup, Switch, Text, makeStyles, tokens } from "@fluentui/react-components";
import type { MySharing, OrganizationSharing, SharingLevel } from "../../shared/api/contract";
import { SHARING_WORDS } from "../state/engagement";
import { isForbidden } from "../state/errors";
import { useAction } from "../state/useAction";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { ErrorBar } from "./ErrorBar";
import { Loading } from "./Loading";

const useStyles = makeStyles({
  root: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXS, minWidth: 0 },
  heading: { margin: 0, fontSize: tokens.fontSizeBase300, lineHeight: tokens.lineHeightBase300 },
  muted: { color: tokens.colorNeutralForeground3, overflowWrap: "anywhere" },
  actions: { display: "flex", gap: tokens.spacingHorizontalS, alignItems: "center", flexWrap: "wrap" },
});

const LEVELS: SharingLevel[] = ["metadata", "subject", "everything"];
const DEFAULT = "default";
type Choice = SharingLevel | typeof DEFAULT;

/** The user's own level: the organization's default, or one of the three. */
export function MySharingSetting() {
  const styles = useStyles();
  const { api } = useServices();
  const sharing = useResource<MySharing>(() => api.mySharing(), "my-sharing");
  const { busy, failure, run } = useAction();
  // The administrators locked levels since the pane read them: say so instead of offering Retry.
  const [locked, setLocked] = useState(false);
  // The choice shows at once, while it is saved (the server's answer then replaces it).
  const [pending, setPending] = useState<Choice | null>(null);

  if (sharing.loading && !sharing.data) return <Loading label="Loading your sharing level" rows={2} />;
  if (sharing.error)
    return <ErrorBar error={sharing.error} title="Couldn't load your sharing level" onRetry={sharing.reload} />;
  const s = sharing.data;
  if (!s) return null;
  const mayChange = s.usersMayChange && !locked;
  const choice: Choice = s.chosen ?? DEFAULT;

  const choose = (next: Choice) => {
    setPending(next);
    void run(
      async () => {
        try {
          const saved = await api.setMySharing(next === DEFAULT ? null : next);
          sharing.set(saved);
          return `Saved. ${SHARING_WORDS[saved.level].shares}`;
        } finally {
          setPending(null);
        }
      },
      {
        title: "Couldn't change your sharing level",
        recover: (e) => {
          if (!isForbidden(e)) return false;
          setLocked(true);
          return true;
        },
      },
    );
  };

  return (
    <section aria-labelledby="my-sharing-heading" className={styles.root}>
      <h3 id="my-sharing-heading" className={styles.heading}>
        What teammates see of your email
      </h3>
      {mayChange ? (
        <RadioGroup
          value={pending ?? choice}
          disabled={busy}
          onChange={(_, d) => choose(d.value as Choice)}
          aria-labelledby="my-sharing-heading"
        >
          <Radio
            value={DEFAULT}
            label={`Your organization's default: ${SHARING_WORDS[s.organizationDefault].label.toLowerCase()}`}
          />
          {LEVELS.map((l) => (
            <Radio key={l} value={l} label={SHARING_WORDS[l].label} />
          ))}
        </RadioGroup>
      ) : (
        <Text className={styles.muted}>
          {SHARING_WORDS[s.level].label}. Your organization's administrators decide this for every mailbox.
        </Text>
      )}
      <Text size={200} className={styles.muted} aria-live="polite">
        {SHARING_WORDS[s.level].shares} You always see everything of your own email.
      </Text>
      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </section>
  );
}

/** Administrators: the default level of every mailbox and whether people may choose their own. */
export function OrganizationSharingSetting() {
  const styles = useStyles();
  const { api } = useServices();
  const settings = useResource<OrganizationSharing>(() => api.organizationSharing(), "organization-sharing");
  const { busy, failure, run } = useAction();
  const [draft, setDraft] = useState<OrganizationSharing | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(settings.data), [settings.data]);

  if (settings.loading && !settings.data) return <Loading label="Loading the sharing settings" rows={2} />;
  if (settings.error)
    return <ErrorBar error={settings.error} title="Couldn't load the sharing settings" onRetry={settings.reload} />;
  if (!draft || !settings.data) return null;
  const dirty =
    draft.defaultLevel !== settings.data.defaultLevel || draft.usersMayChange !== settings.data.usersMayChange;
  const change = (next: Partial<OrganizationSharing>) => {
    setSaved(false);
    setDraft({ ...draft, ...next });
  };
  const save = () =>
    void run(
      async () => {
        const after = await api.setOrganizationSharing(draft);
        settings.set(after);
        setSaved(true);
        return "Sharing settings saved.";
      },
      { title: "Couldn't save the sharing settings" },
    );

  return (
    <section aria-labelledby="organization-sharing-heading" className={styles.root}>
      <h2 id="organization-sharing-heading" className={styles.heading}>
        What teammates see of each other's email
      </h2>
      <Text size={200} className={styles.muted}>
        Everyone sees everything of their own email. For a mailbox whose owner hasn't chosen, teammates see:
      </Text>
      <RadioGroup
        value={draft.defaultLevel}
        disabled={busy}
        onChange={(_, d) => change({ defaultLevel: d.value as SharingLevel })}
        aria-label="Default for every mailbox"
      >
        {LEVELS.map((l) => (
          <Radio key={l} value={l} label={SHARING_WORDS[l].label} />
        ))}
      </RadioGroup>
      <Text size={200} className={styles.muted}>
        {SHARING_WORDS[draft.defaultLevel].shares}
      </Text>
      <Switch
        checked={draft.usersMayChange}
        disabled={busy}
        onChange={(_, d) => change({ usersMayChange: d.checked })}
        label="People may choose their own level"
      />
      {!draft.usersMayChange && (
        <Text size={200} className={styles.muted}>
          Every mailbox then shares at the default; choices people made come back if you allow choosing again.
        </Text>
      )}
      <div className={styles.actions}>
        <Button appearance="primary" size="small" disabled={!dirty || busy} onClick={save}>
          {busy ? "Saving…" : "Save sharing settings"}
        </Button>
        {saved && !dirty && <Text size={200}>Saved.</Text>}
      </div>
      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </section>
  );
}
