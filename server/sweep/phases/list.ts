/**
 * List phase: with a Graph client for the mailbox, the rule context and the folder map, list the
 * window page by page; each page is decided (decide.ts) and stored (store.ts) before the next one.
 */
import { createGraphClient, type GraphStats } from "../../graph/client";
import { refreshUserAddressesIfStale } from "../../mailbox-connection/addresses";
import { refreshInternalDomainsIfStale } from "../../mailbox-connection/internal-domains";
import type { SweepDeps, SweepProgress, SweepRunOptions } from "../engine";
import { loadRuleContext } from "../decision";
import { SweepAbortedError } from "../errors";
import { loadFolderMap } from "../folders";
import { listWindow } from "../listing";
import { SEARCH_INDEX_LAG_MINUTES } from "../listing-plan";
import type { ListedMessage, MessageContent } from "../message-facts";
import { readTargeted } from "../targeted-read";
import { decidePage, type SweepCounters } from "./decide";
import type { SweepRun } from "./start";
import { createCaptureWriter } from "./store";

const TOKEN_REUSE_MS = 5 * 60_000;

/**
 * A Graph client for the sweep's mailbox. The token is asked for before any Graph call, so a revoked
 * grant stops the sweep here (the connect service has already flipped the connection to
 * reauth_required); it is reused for a few minutes, then asked for again. A 401 to it (a revocation
 * Graph learnt of first, with or without a CAE claims challenge) gets one forced refresh: refused, the
 * connection is flipped and the sweep ends; granted, the request is retried.
 */
async function sweepGraphClient(deps: SweepDeps, run: SweepRun, stats: GraphStats) {
  const { organizationId, userId } = run.target;
  let token = await deps.tokens.getGraphAccessToken(organizationId, userId);
  let tokenAt = Date.now();
  const getAccessToken = async () => {
    if (Date.now() - tokenAt > TOKEN_REUSE_MS) {
      token = await deps.tokens.getGraphAccessToken(organizationId, userId);
      tokenAt = Date.now();
    }
    return token;
  };
  const refreshAccessToken = async ({ claims }: { claims: string | null }) => {
    token = await deps.tokens.getGraphAccessToken(organizationId, userId, {
      forceRefresh: true,
      ...(claims ? { claims } : {}),
    });
    tokenAt = Date.now();
    return token;
  };
  const { client } = createGraphClient({
    baseUrl: deps.graph.baseUrl,
    outbound: deps.graph.outbound,
    getAccessToken,
    refreshAccessToken,
    maxRetries: deps.graph.maxRetries,
    timeoutMs: deps.graph.timeoutMs,
    backoffSeconds: deps.graph.backoffSeconds,
    stats,
  });
  return client;
}

export async function listDecideAndStore(
  deps: SweepDeps,
  run: SweepRun,
  opts: SweepRunOptions,
  c: SweepCounters,
  stats: GraphStats,
  progress: (phase: SweepProgress["phase"]) => void,
): Promise<void> {
  const { db, clock } = deps;
  const { organizationId, userId } = run.target;
  const client = await sweepGraphClient(deps, run, stats);
  const onRetry = (n: number) => (c.itemRetries += n);
  const maxRounds = deps.batchRounds ?? 8;
  // Rule 5 needs the user's own addresses: read them once a day, or first here when connect left Graph to us.
  await refreshUserAddressesIfStale({ db, now: run.started, client, logger: deps.logger }, organizationId, userId);
  const ctx = await loadRuleContext(db, organizationId, userId, run.connection.connectedAt);

  progress("folders");
  const { map: folders } = await loadFolderMap(
    {
      db,
      client,
      now: run.started,
      baseUrl: deps.graph.baseUrl,
      maxAgeMs: deps.folderCacheMaxAgeMs,
      signal: opts.signal,
      onRetry,
      maxRounds,
    },
    organizationId,
    userId,
  );
  // Colleagues are never contacts: keep the organization's verified domains fresh (one request a day).
  await refreshInternalDomainsIfStale({ db, now: run.started, client, logger: deps.logger }, organizationId);
  const writer = createCaptureWriter({
    db,
    clock,
    organizationId,
    userId,
    sweepId: run.sweepId,
    ctx,
    client,
    counters: c,
    bodies: { signal: opts.signal, onRetry, maxRounds },
    onStored: () => progress("listing"),
    onChanges: () => deps.onEngagementChanges?.(organizationId),
  });

  progress("listing");
  const onPage = async (page: ListedMessage[], contents?: ReadonlyMap<string, MessageContent>) => {
    await writer.storePage(decidePage(page, folders, ctx, run.started, c), contents);
    if (opts.signal?.aborted) throw new SweepAbortedError();
  };
  const listOptions = { baseUrl: deps.graph.baseUrl, signal: opts.signal, pageSize: deps.listPageSize };
  if (run.plan.kind === "targeted") {
    const lagMs = SEARCH_INDEX_LAG_MINUTES * 60_000;
    const options = { ...listOptions, now: run.started, searchIndexLagMs: lagMs };
    const fellBack = await readTargeted(client, run.window, run.plan, options, onPage);
    if (fellBack) {
      deps.logger.info({ sweepId: run.sweepId, reason: fellBack }, "targeted re-read fell back to the whole window");
      run.plan = { kind: "full" };
    }
  } else {
    const changedSince = run.plan.kind === "changes" ? run.plan.since : null;
    await listWindow(client, run.window, { ...listOptions, changedSince }, onPage);
  }
  await writer.finish();
}
