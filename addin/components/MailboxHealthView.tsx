/**
 * Administrators: every user's mailbox connection (GET /api/connections), so a mailbox whose grant
 * Microsoft stopped accepting is noticed before its gap in capture grows. Loaded on first use.
 */
import { useEffect, useRef, useState } from "react";
import {
  Badge,
  Button,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Switch,
  Text,
  makeStyles,
  mergeClasses,
  tokens,
} from "@fluentui/react-components";
import type {
  ConnectionStatus,
  MailboxHealthPage,
  MailboxHealthView as MailboxHealth,
} from "../../shared/api/contract";
import { useAnnounce } from "../state/announcer";
import { isForbidden } from "../state/errors";
import { formatWhen } from "../state/format";
import { useFocusAfterSwap } from "../state/useFocusAfterSwap";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { ErrorBar } from "./ErrorBar";
import { CONNECTION_COLOR, CONNECTION_LABEL } from "./Header";
import { Loading } from "./Loading";
import { column, plainList, tabHeading } from "./pane-styles";

const useStyles = makeStyles({
  root: { ...column, gap: tokens.spacingVerticalM },
  heading: tabHeading,
  list: { ...plainList, gap: tokens.spacingVerticalM },
  item: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXS, minWidth: 0 },
  titleRow: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalS,
    minWidth: 0,
  },
  line: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap", minWidth: 0 },
  badge: { flexShrink: 0 },
  muted: { color: tokens.colorNeutralForeground3 },
  // Reasons and errors are sentences that may hold addresses or ids without spaces.
  wrap: { overflowWrap: "anywhere" },
  footer: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalS,
    flexWrap: "wrap",
  },
});

const PAGE_SIZE = 50;

/** "12 connected · 2 need reconnecting · 1 never connected": states nobody is in are left out, except the one that asks for action. */
export function healthSummary(counts: Record<ConnectionStatus, number>): string {
  const n = (s: ConnectionStatus) => counts[s] ?? 0;
  const parts = [
    `${n("active")} connected`,
    `${n("reauth_required")} ${n("reauth_required") === 1 ? "needs" : "need"} reconnecting`,
  ];
  if (n("not_connected") > 0) parts.push(`${n("not_connected")} never connected`);
  if (n("disconnected") > 0) parts.push(`${n("disconnected")} disconnected`);
  return parts.join(" · ");
}

/** Pages after the first, valid only for the first page they continue (a new filter or a Retry starts over). */
interface MorePages {
  after: MailboxHealthPage;
  items: MailboxHealth[];
  nextCursor: string | null;
  counts: Record<ConnectionStatus, number>;
  loading: boolean;
  error: unknown;
}

export function MailboxHealthView({ pageSize = PAGE_SIZE }: { pageSize?: number }) {
  const styles = useStyles();
  const { api } = useServices();
  const announce = useAnnounce();
  const [attentionOnly, setAttentionOnly] = useState(false);
  const status: ConnectionStatus | undefined = attentionOnly ? "reauth_required" : undefined;
  const first = useResource<MailboxHealthPage>(
    () => api.mailboxHealth({ status, limit: pageSize }),
    `mailbox-health:${status ?? "all"}`,
  );
  const [more, setMore] = useState<MorePages | null>(null);
  const continued = more && first.data && more.after === first.data ? more : null;
  const items = first.data ? (continued ? [...first.data.items, ...continued.items] : first.data.items) : [];
  const nextCursor = continued ? continued.nextCursor : (first.data?.nextCursor ?? null);
  const counts = continued?.counts ?? first.data?.counts ?? null;
  const shownTotal = counts ? (status ? counts[status] : Object.values(counts).reduce((a, b) => a + b, 0)) : null;

  // Load more may be gone once the last page is in: focus moves to the first mailbox it brought.
  const list = useRef<HTMLUListElement>(null);
  const focusItem = useFocusAfterSwap((i: number) => list.current?.children[i]);

  // A new filter replaces the list without moving focus: say what it now shows.
  const announceFilter = useRef(false);
  useEffect(() => {
    if (!announceFilter.current || first.loading || !first.data) return;
    announceFilter.current = false;
    const c = first.data.counts;
    const needing = `${c.reauth_required} ${c.reauth_required === 1 ? "mailbox needs" : "mailboxes need"} reconnecting.`;
    announce(attentionOnly ? needing : `Showing all mailboxes. ${healthSummary(c)}.`);
  }, [first.loading, first.data, attentionOnly, announce]);

  const loadMore = async () => {
    const base = first.data;
    if (!base || !nextCursor) return;
    const shown = items.length;
    const start: MorePages = continued ?? {
      after: base,
      items: [],
      nextCursor: base.nextCursor,
      counts: base.counts,
      loading: false,
      error: null,
    };
    setMore({ ...start, loading: true, error: null });
    try {
      const page = await api.mailboxHealth({ status, cursor: nextCursor, limit: pageSize });
      setMore((m) =>
        m?.after === base
          ? {
              ...m,
              items: [...m.items, ...page.items],
              nextCursor: page.nextCursor,
              counts: page.counts,
              loading: false,
            }
          : m,
      );
      if (page.items.length > 0) focusItem(shown);
    } catch (e) {
      setMore((m) => (m?.after === base ? { ...m, loading: false, error: e } : m));
    }
  };

  return (
    <section aria-labelledby="mailbox-health-heading" className={styles.root}>
      <h2 id="mailbox-health-heading" className={styles.heading}>
        Mailbox health
      </h2>
      {/* Users exist server-side from their first call: someone who never opened the pane isn't listed, which would otherwise puzzle. */}
      <Text size={200} className={styles.muted}>
        Everyone in your organization who has signed in to Engagement Capture at least once.
      </Text>
      {counts && <Text data-testid="mailbox-health-counts">{healthSummary(counts)}</Text>}
      <Switch
        checked={attentionOnly}
        onChange={(_, d) => {
          announceFilter.current = true;
          setAttentionOnly(d.checked);
        }}
        label="Only mailboxes that need reconnecting"
      />
      {first.loading && <Loading label="Loading mailbox health" />}
      {!!first.error && !first.loading && (
        <HealthError error={first.error} title="Couldn't load mailbox health" onRetry={first.reload} />
      )}
      {first.data && !first.loading && items.length === 0 && (
        <Text>
          {attentionOnly
            ? "No mailbox needs reconnecting."
            : "No one in your organization has used Engagement Capture yet."}
        </Text>
      )}
      {first.data && !first.loading && items.length > 0 && (
        <>
          <ul ref={list} className={styles.list} aria-label="Mailboxes">
            {items.map((m) => (
              <MailboxHealthItem key={m.user.id} health={m} />
            ))}
          </ul>
          <div className={styles.footer}>
            {shownTotal !== null && (
              <Text size={200} className={styles.muted}>
                Showing {items.length} of {Math.max(shownTotal, items.length)}.
              </Text>
            )}
            {nextCursor && (
              <Button onClick={() => void loadMore()} disabled={continued?.loading}>
                {continued?.loading ? "Loading more…" : "Load more"}
              </Button>
            )}
          </div>
          {!!continued?.error && (
            <HealthError error={continued.error} title="Couldn't load more mailboxes" onRetry={() => void loadMore()} />
          )}
        </>
      )}
    </section>
  );
}

/**
 * In this list "not connected" means someone who signed in but never connected a mailbox: the summary
 * line says "never connected", and so does the badge (the banner's "Not connected" is about yourself).
 */
const ITEM_LABEL: Record<ConnectionStatus, string> = { ...CONNECTION_LABEL, not_connected: "Never connected" };

/** One user's mailbox: who, the connection's state, when a sweep last succeeded, and what went wrong. */
function MailboxHealthItem({ health: { user, connection: c } }: { health: MailboxHealth }) {
  const styles = useStyles();
  const name = user.displayName ?? user.email;
  // A sweep that failed after the last success (lastError is cleared by a success): say when.
  const failedAt = c.lastError && c.lastSweepAt && c.lastSweepAt !== c.lastSuccessAt ? c.lastSweepAt : null;
  return (
    // Focusable from script only: Load more hands focus to the first mailbox it brought.
    <li className={styles.item} tabIndex={-1}>
      <div className={styles.titleRow}>
        <Text weight="semibold" className={styles.line} title={name}>
          {name}
        </Text>
        <Badge appearance="tint" color={CONNECTION_COLOR[c.status]} className={styles.badge}>
          {ITEM_LABEL[c.status]}
        </Badge>
      </div>
      {/* Without a name the address is already the first line: show it once. */}
      {user.displayName && (
        <Text size={200} block className={mergeClasses(styles.muted, styles.line)} title={user.email}>
          {user.email}
        </Text>
      )}
      {c.status !== "not_connected" && (
        <Text size={200} block className={styles.muted}>
          {c.lastSuccessAt ? `Last successful check ${formatWhen(c.lastSuccessAt)}` : "No successful check yet"}
        </Text>
      )}
      {/* The stored reason is written to the mailbox's owner ("Your Microsoft 365 sign-in expired … Choose Reconnect"):
          an administrator reading about someone else gets what it means for them instead. */}
      {c.status === "reauth_required" ? (
        <Text size={200} block className={styles.wrap}>
          Microsoft no longer accepts this mailbox's sign-in, so its capture is paused. {name} needs to choose Reconnect
          in the Engagement Capture pane.
        </Text>
      ) : (
        c.reason && (
          <Text size={200} block className={styles.wrap}>
            {c.reason}
          </Text>
        )
      )}
      {/* lastError repeats the reason behind the error's class name ("ReauthRequiredError: Your Microsoft 365 sign-in …"). */}
      {c.lastError && !(c.reason && c.lastError.endsWith(c.reason)) && (
        <Text size={200} block className={mergeClasses(styles.muted, styles.wrap)}>
          {failedAt ? `Last check failed ${formatWhen(failedAt)}: ` : "Last error: "}
          {c.lastError}
        </Text>
      )}
    </li>
  );
}

/** Retry for what may pass; a 403 (the administrator role is gone) will not pass on retry, so it gets a sentence instead. */
function HealthError({ error, title, onRetry }: { error: unknown; title: string; onRetry: () => void }) {
  if (!isForbidden(error)) return <ErrorBar error={error} title={title} onRetry={onRetry} />;
  return (
    <MessageBar intent="warning" role="alert" layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>{title}</MessageBarTitle>
        Your account no longer has the administrator role, so it can't see everyone's mailboxes.
      </MessageBarBody>
    </MessageBar>
  );
}
