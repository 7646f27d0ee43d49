import { Suspense, useRef, useState } from "react";
import { Badge, Button, Text, makeStyles, mergeClasses, tokens } from "@fluentui/react-components";
import type { BlockEntryView, PersonView } from "../../shared/api/contract";
import { isColleague } from "../state/people";
import { useFocusAfterSwap } from "../state/useFocusAfterSwap";
import { ErrorBoundary, useRetryableLazy } from "./ErrorBoundary";
import { Loading } from "./Loading";
import { plainList } from "./pane-styles";

// The block question (radio group, confirmation) loads on first use, not with the pane.
const loadBlockPrompt = () =>
  import(/* webpackChunkName: "block" */ "./BlockPrompt").then((m) => ({ default: m.BlockPrompt }));

const useStyles = makeStyles({
  list: { ...plainList, gap: tokens.spacingVerticalS },
  entry: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXS, minWidth: 0 },
  item: { display: "flex", alignItems: "center", justifyContent: "space-between", gap: tokens.spacingHorizontalS },
  who: { display: "flex", flexDirection: "column", minWidth: 0, flexGrow: 1 },
  // One line each, cut with an ellipsis (the full text is in the title and the item's label): a long
  // address must neither wrap at its dots nor push the buttons out of the pane.
  line: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" },
  address: { color: tokens.colorNeutralForeground3 },
  buttons: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXS, flexShrink: 0 },
  tags: { display: "flex", gap: tokens.spacingHorizontalXS, flexWrap: "wrap", marginTop: tokens.spacingVerticalXXS },
});

const ROLE: Record<PersonView["role"], string> = { from: "From", to: "To", cc: "Cc" };

export interface PeopleListProps {
  people: PersonView[];
  onTrack: (p: PersonView) => void;
  /** Add the person's address to a blocklist; resolves to the sentence announced. */
  onBlock?: (p: PersonView, scope: BlockEntryView["scope"], removeCaptured: boolean) => Promise<string>;
  /** The user's own domains: colleagues are never offered Track. */
  ownDomains?: readonly string[];
  /** Administrators may block for the whole organization. */
  isAdmin?: boolean;
  /** Open a tracked person's history (with their client's). */
  onHistory?: (p: PersonView) => void;
}

function stateOf(p: PersonView, colleague: boolean): string {
  if (p.isUser) return "You";
  // Blocking wins over tracking: say both, or the badge would promise a capture that won't happen.
  if (p.contact && p.blocked) return "Tracked, blocked";
  if (p.contact) return "Tracked";
  if (p.blocked) return "Blocked";
  return colleague ? "Colleague" : "Not tracked";
}

/** From/To/Cc of the open message: tracked or not, the contact's client, Track and Block for the others. */
export function PeopleList({ people, onTrack, onBlock, ownDomains = [], isAdmin = false, onHistory }: PeopleListProps) {
  const styles = useStyles();
  const [blocking, setBlocking] = useState<string | null>(null);
  const blockButtons = useRef(new Map<string, HTMLButtonElement>());
  const focusNext = useFocusAfterSwap((address: string) => blockButtons.current.get(address) ?? null);
  const [BlockPrompt, retryBlockPrompt] = useRetryableLazy(loadBlockPrompt);
  return (
    <section aria-labelledby="people-heading">
      <h2
        id="people-heading"
        style={{ fontSize: tokens.fontSizeBase400, margin: `${tokens.spacingVerticalM} 0 ${tokens.spacingVerticalS}` }}
      >
        People
      </h2>
      {people.length === 0 ? (
        <Text>No senders or recipients on this message.</Text>
      ) : (
        <ul className={styles.list} aria-label="People on this message">
          {people.map((p) => {
            const colleague = !p.isUser && isColleague(p.address, ownDomains);
            const state = stateOf(p, colleague);
            const name = p.name ?? p.contact?.name ?? null;
            const key = `${p.role}:${p.address}`;
            const canTrack = !p.isUser && !p.contact && !p.blocked && !colleague;
            // Mail among colleagues is never captured: blocking one would change nothing.
            const canBlock = !!onBlock && !p.isUser && !p.blocked && !colleague;
            const canHistory = !!onHistory && !!p.contact && !p.isUser;
            return (
              <li key={key} className={styles.entry} aria-label={`${p.name ?? p.address}, ${ROLE[p.role]}, ${state}`}>
                <div className={styles.item}>
                  <div className={styles.who}>
                    <Text weight="semibold" className={styles.line} title={name ?? p.address}>
                      {name ?? p.address}
                    </Text>
                    {/* Without a display name the address is already the first line. */}
                    {name && (
                      <Text size={200} className={mergeClasses(styles.line, styles.address)} title={p.address}>
                        {p.address}
                      </Text>
                    )}
                    <div className={styles.tags}>
                      <Badge appearance="outline" size="small">
                        {ROLE[p.role]}
                      </Badge>
                      <Badge
                        appearance="tint"
                        size="small"
                        color={p.blocked ? "danger" : p.contact ? "success" : "subtle"}
                      >
                        {state}
                      </Badge>
                      {p.contact?.client && (
                        <Badge appearance="tint" size="small" color="brand">
                          {p.contact.client.name}
                        </Badge>
                      )}
                    </div>
                  </div>
                  {(canTrack || canBlock || canHistory) && blocking !== key && (
                    <div className={styles.buttons}>
                      {canHistory && (
                        <Button
                          size="small"
                          onClick={() => onHistory(p)}
                          aria-label={`History with ${name ?? p.address}`}
                        >
                          History
                        </Button>
                      )}
                      {canTrack && (
                        <Button size="small" onClick={() => onTrack(p)} aria-label={`Track ${p.address}`}>
                          Track
                        </Button>
                      )}
                      {canBlock && (
                        <Button
                          size="small"
                          appearance="subtle"
                          ref={(el) => {
                            if (el instanceof HTMLButtonElement) blockButtons.current.set(key, el);
                            else blockButtons.current.delete(key);
                          }}
                          onClick={() => setBlocking(key)}
                          aria-label={`Block ${p.address}`}
                        >
                          Block
                        </Button>
                      )}
                    </div>
                  )}
                </div>
                {blocking === key && onBlock && (
                  <ErrorBoundary onRetry={retryBlockPrompt}>
                    <Suspense fallback={<Loading label="Opening the block question" rows={1} />}>
                      <BlockPrompt
                        person={p}
                        isAdmin={isAdmin}
                        onBlock={onBlock}
                        onCancel={() => {
                          focusNext(key);
                          setBlocking(null);
                        }}
                      />
                    </Suspense>
                  </ErrorBoundary>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
