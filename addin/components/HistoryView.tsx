/**
 * The history with a tracked person or their client: captured emails, newest first, a page at a time
 * (one API call per page). Each email opens in the engagement view. Loaded on first use (its own chunk).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { Button, Link, Text, ToggleButton, makeStyles, tokens } from "@fluentui/react-components";
import type { EngagementView, Page } from "../../shared/api/contract";
import type { HistoryScope } from "../api/client";
import { directionWord, mailboxOwners, mailboxWords, subjectLine, visibilityOf } from "../state/engagement";
import { formatWhen } from "../state/format";
import { useFocusAfterSwap } from "../state/useFocusAfterSwap";
import { useServices } from "../state/services";
import { BackBar, backOnKeys } from "./BackBar";
import { ErrorBar } from "./ErrorBar";
import { Loading } from "./Loading";
import { column, detailHeading, plainList } from "./pane-styles";

export const HISTORY_PAGE = 10;

const useStyles = makeStyles({
  root: { ...column, gap: tokens.spacingVerticalS },
  heading: detailHeading,
  scopes: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap" },
  list: { ...plainList, gap: tokens.spacingVerticalS },
  entry: { display: "flex", flexDirection: "column", minWidth: 0 },
  subject: { textAlign: "start", overflowWrap: "anywhere" },
  meta: { color: tokens.colorNeutralForeground3 },
});

export interface HistoryPerson {
  contactId: string;
  /** The name or, without one, the address. */
  label: string;
  client: { id: string; name: string } | null;
}

export interface HistoryViewProps {
  person: HistoryPerson;
  backLabel: string;
  onBack: () => void;
  onOpen: (engagement: EngagementView) => void;
}

interface Pages {
  items: EngagementView[];
  nextCursor: string | null;
  loading: boolean;
  error: unknown;
}

/** A scope's pages: the first on mount or scope change, the next on more(). */
function usePages(scope: HistoryScope, key: string) {
  const { api } = useServices();
  const [state, setState] = useState<Pages>({ items: [], nextCursor: null, loading: true, error: null });
  const live = useRef(key);
  const load = useCallback(
    (cursor: string | null) => {
      const asked = key;
      setState((s) => ({ ...s, loading: true, error: null }));
      api.history(scope, cursor, HISTORY_PAGE).then(
        (page: Page<EngagementView>) =>
          live.current === asked &&
          setState((s) => ({
            items: cursor ? [...s.items, ...page.items] : page.items,
            nextCursor: page.nextCursor,
            loading: false,
            error: null,
          })),
        (error: unknown) => live.current === asked && setState((s) => ({ ...s, loading: false, error })),
      );
    },
    // scope is described by key
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, key],
  );
  useEffect(() => {
    live.current = key;
    setState({ items: [], nextCursor: null, loading: true, error: null });
    load(null);
  }, [key, load]);
  return {
    ...state,
    more: () => load(state.nextCursor),
    retry: () => load(state.items.length ? state.nextCursor : null),
  };
}

export function HistoryView({ person, backLabel, onBack, onOpen }: HistoryViewProps) {
  const styles = useStyles();
  const [ofClient, setOfClient] = useState(false);
  const client = person.client;
  const scope: HistoryScope = ofClient && client ? { clientId: client.id } : { contactId: person.contactId };
  const key = "clientId" in scope ? `client:${scope.clientId}` : `contact:${scope.contactId}`;
  const pages = usePages(scope, key);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  // After Show more, focus goes to the first email of the new page (the button may go away on the last page).
  const links = useRef(new Map<number, HTMLElement>());
  const focusNext = useFocusAfterSwap((index: number) => links.current.get(index), {
    ready: !pages.loading,
    dropWhenMissing: true,
  });
  const more = () => {
    focusNext(pages.items.length);
    pages.more();
  };
  const whose = ofClient && client ? client.name : person.label;

  return (
    <section className={styles.root} aria-labelledby="history-heading" onKeyDown={backOnKeys(onBack)}>
      <BackBar label={backLabel} onBack={onBack} />
      <h2 id="history-heading" ref={heading} tabIndex={-1} className={styles.heading}>
        History with {whose}
      </h2>
      {client && (
        <div role="group" aria-label="Whose history" className={styles.scopes}>
          <ToggleButton size="small" checked={!ofClient} onClick={() => setOfClient(false)}>
            {person.label}
          </ToggleButton>
          <ToggleButton size="small" checked={ofClient} onClick={() => setOfClient(true)}>
            {`All of ${client.name}`}
          </ToggleButton>
        </div>
      )}
      {pages.items.length > 0 && (
        <ul className={styles.list} aria-label={`Emails with ${whose}, newest first`}>
          {pages.items.map((e, i) => {
            const v = visibilityOf(e);
            const owners = mailboxOwners(e);
            const where = owners.length ? ` · ${mailboxWords(owners)}` : "";
            return (
              <li key={e.id} className={styles.entry}>
                <Link
                  as="button"
                  className={styles.subject}
                  ref={(el: HTMLElement | null) => {
                    if (el) links.current.set(i, el);
                    else links.current.delete(i);
                  }}
                  onClick={() => onOpen(e)}
                >
                  {subjectLine(e, v)}
                </Link>
                <Text size={200} className={styles.meta}>
                  {directionWord(e)} {formatWhen(e.messageTime)}
                  {where}
                </Text>
              </li>
            );
          })}
        </ul>
      )}
      {!pages.loading && !pages.error && pages.items.length === 0 && <Text>No history yet.</Text>}
      {pages.loading && <Loading label="Loading the history" rows={pages.items.length ? 1 : 3} />}
      {!!pages.error && !pages.loading && (
        <ErrorBar error={pages.error} title="Couldn't load the history" onRetry={pages.retry} />
      )}
      {pages.nextCursor && !pages.loading && !pages.error && (
        <div>
          <Button size="small" onClick={more}>
            Show more
          </Button>
        </div>
      )}
    </section>
  );
}
