/**
 * One captured email, as the reader may see it: subject, when, direction, who took part, whose mailboxes
 * it was found in, the text, and the CRM link when one is configured. What a teammate's sharing level
 * leaves out is said in a sentence, never left blank. Loaded on first use (its own chunk).
 */
import { useEffect, useRef } from "react";
import { Link, MessageBar, MessageBarBody, Text, makeStyles, tokens } from "@fluentui/react-components";
import type { EngagementView as Engagement } from "../../shared/api/contract";
import {
  directionWord,
  hiddenSentence,
  listWords,
  mailboxOwners,
  mailboxWords,
  subjectLine,
  visibilityOf,
} from "../state/engagement";
import { formatWhen } from "../state/format";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { BackBar, backOnKeys } from "./BackBar";
import { ErrorBar } from "./ErrorBar";
import { Loading } from "./Loading";
import { column, detailHeading } from "./pane-styles";

const useStyles = makeStyles({
  root: { ...column, gap: tokens.spacingVerticalS },
  heading: detailHeading,
  facts: {
    margin: 0,
    display: "grid",
    gridTemplateColumns: "auto 1fr",
    gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalS}`,
  },
  term: { color: tokens.colorNeutralForeground3 },
  value: { margin: 0, minWidth: 0, overflowWrap: "anywhere" },
  body: {
    margin: 0,
    padding: tokens.spacingHorizontalS,
    whiteSpace: "pre-wrap",
    overflowWrap: "anywhere",
    fontFamily: tokens.fontFamilyBase,
    fontSize: tokens.fontSizeBase200,
    backgroundColor: tokens.colorNeutralBackground2,
    color: tokens.colorNeutralForeground1,
    borderRadius: tokens.borderRadiusMedium,
    maxHeight: "50vh",
    overflowY: "auto",
  },
  muted: { color: tokens.colorNeutralForeground3 },
});

export interface EngagementViewProps {
  engagementId: string;
  /** Where Back goes ("Back to the message"). */
  backLabel: string;
  onBack: () => void;
}

const ROLE_LABEL = { from: "From", to: "To", cc: "Cc" } as const;

export function EngagementView({ engagementId, backLabel, onBack }: EngagementViewProps) {
  const styles = useStyles();
  const { api } = useServices();
  const e = useResource<Engagement>(() => api.getEngagement(engagementId), engagementId);
  const heading = useRef<HTMLHeadingElement>(null);
  // The view replaced what had focus (the button that opened it): its heading takes it.
  useEffect(() => {
    if (!e.loading) heading.current?.focus();
  }, [e.loading]);

  return (
    <section className={styles.root} aria-labelledby="engagement-heading" onKeyDown={backOnKeys(onBack)}>
      <BackBar label={backLabel} onBack={onBack} />
      {e.loading && <Loading label="Loading the email" rows={5} />}
      {!!e.error && !e.loading && (
        <>
          <h2 id="engagement-heading" ref={heading} tabIndex={-1} className={styles.heading}>
            Email
          </h2>
          <ErrorBar error={e.error} title="Couldn't open this email" onRetry={e.reload} />
        </>
      )}
      {e.data && !e.loading && <Details e={e.data} headingRef={heading} />}
    </section>
  );
}

function Details({ e, headingRef }: { e: Engagement; headingRef: React.RefObject<HTMLHeadingElement | null> }) {
  const styles = useStyles();
  const { config } = useServices();
  const v = visibilityOf(e);
  const owners = mailboxOwners(e);
  const hidden = hiddenSentence(v);
  const byRole = (role: keyof typeof ROLE_LABEL) =>
    e.participants.filter((p) => p.role === role).map((p) => (p.name ? `${p.name} <${p.address}>` : p.address));
  return (
    <>
      <h2 id="engagement-heading" ref={headingRef} tabIndex={-1} className={styles.heading}>
        {subjectLine(e, v)}
      </h2>
      <dl className={styles.facts}>
        <dt className={styles.term}>When</dt>
        <dd className={styles.value}>
          {directionWord(e)} {formatWhen(e.messageTime)}
        </dd>
        {(["from", "to", "cc"] as const).map((role) =>
          byRole(role).length ? <Fact key={role} term={ROLE_LABEL[role]} value={listWords(byRole(role))} /> : null,
        )}
        {e.clients.length > 0 && <Fact term="Client" value={listWords(e.clients.map((c) => c.name))} />}
        {owners.length > 0 && <Fact term="Found in" value={mailboxWords(owners)} />}
      </dl>
      {hidden && (
        <MessageBar intent="info" layout="multiline">
          <MessageBarBody>{hidden}</MessageBarBody>
        </MessageBar>
      )}
      {v.level === "everything" &&
        (e.bodyText?.trim() ? (
          <>
            <pre className={styles.body} tabIndex={0} aria-label="Text of the email">
              {e.bodyText}
            </pre>
            {e.truncated && (
              <Text size={200} className={styles.muted}>
                This email is long: only its beginning was kept.
              </Text>
            )}
          </>
        ) : (
          <Text className={styles.muted}>This email has no text.</Text>
        ))}
      {config.crmEngagementUrl && (
        <Link href={config.crmEngagementUrl.replace("{id}", encodeURIComponent(e.id))} target="_blank" rel="noreferrer">
          Open in the CRM
        </Link>
      )}
    </>
  );
}

function Fact({ term, value }: { term: string; value: string }) {
  const styles = useStyles();
  return (
    <>
      <dt className={styles.term}>{term}</dt>
      <dd className={styles.value}>{value}</dd>
    </>
  );
}
