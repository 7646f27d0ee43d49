/**
 * The task pane: banner with the connection state, then either the open message (status, people),
 * the contacts search or, for administrators, every mailbox's connection health. Sign-in is asked
 * for only when a silent token isn't available (the flow is useSignIn's).
 */
import { Suspense, useMemo, useState, type ReactNode } from "react";
import {
  Button,
  FluentProvider,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Tab,
  TabList,
  Text,
  makeStyles,
  tokens,
  webDarkTheme,
  webLightTheme,
} from "@fluentui/react-components";
import type { MeResponse } from "../../shared/api/contract";
import { isSignInRequired } from "../api/client";
import { officeThemeKind, type ThemeKind } from "../office/theme";
import { AnnouncerProvider } from "../state/announcer";
import { describeError } from "../state/errors";
import { ownDomainsOf } from "../state/people";
import { useOpenMessage } from "../state/useOpenMessage";
import { useResource } from "../state/useResource";
import { ServicesContext, useServices, type PaneServices } from "../state/services";
import { useSignIn } from "../state/useSignIn";
import { ConnectionPanel } from "./ConnectionPanel";
import { ErrorBar } from "./ErrorBar";
import { ErrorBoundary, useRetryableLazy } from "./ErrorBoundary";
import { Header } from "./Header";
import { Loading } from "./Loading";
import { MessageView } from "./MessageView";

const loadContacts = () =>
  import(/* webpackChunkName: "contacts" */ "./ContactsView").then((m) => ({ default: m.ContactsView }));
const loadBlocklist = () =>
  import(/* webpackChunkName: "blocklist" */ "./BlocklistView").then((m) => ({ default: m.BlocklistView }));
const loadOrganizationSharing = () =>
  import(/* webpackChunkName: "sharing" */ "./SharingSettings").then((m) => ({
    default: m.OrganizationSharingSetting,
  }));
const loadMailboxHealth = () =>
  import(/* webpackChunkName: "mailbox-health" */ "./MailboxHealthView").then((m) => ({
    default: m.MailboxHealthView,
  }));

type View = "message" | "contacts" | "blocklist" | "mailboxes";
const VIEW_LABEL: Record<View, string> = {
  message: "This message",
  contacts: "Contacts",
  blocklist: "Blocklist",
  mailboxes: "Mailboxes",
};

const useStyles = makeStyles({
  // The full-height sheet is this wrapper, never FluentProvider itself: Fluent copies the provider's
  // classes onto every portal (dialogs, listboxes, tooltips), and a 100vh portal layer at z-index
  // 1000000 covers the pane and any dialog opened before it.
  shell: { minHeight: "100vh" },
  main: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM, padding: tokens.spacingHorizontalM },
  muted: { display: "block", color: tokens.colorNeutralForeground3, marginTop: tokens.spacingVerticalXXS },
  // An administrator's four tabs don't fit one row of a 320-pixel pane: the last one wraps instead of being cut off.
  tabs: { flexWrap: "wrap" },
  admin: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXL },
});

export function App({ services, theme }: { services: PaneServices; theme?: ThemeKind }) {
  const styles = useStyles();
  const [kind] = useState<ThemeKind>(() => theme ?? officeThemeKind());
  return (
    <FluentProvider theme={kind === "dark" ? webDarkTheme : webLightTheme}>
      <div className={styles.shell}>
        <ServicesContext.Provider value={services}>
          <AnnouncerProvider>
            <ErrorBoundary>
              <Pane />
            </ErrorBoundary>
          </AnnouncerProvider>
        </ServicesContext.Provider>
      </div>
    </FluentProvider>
  );
}

function Pane() {
  const styles = useStyles();
  const [epoch, setEpoch] = useState(0); // bumps after sign-in or a connection change
  const signIn = useSignIn(useServices(), () => setEpoch((e) => e + 1));
  const watched = signIn.services;
  const me = useResource<MeResponse>(() => watched.api.me(), `me:${epoch}`);
  const message = useOpenMessage();
  const [tab, setTab] = useState<View>("message");
  const [Contacts, retryContacts] = useRetryableLazy(loadContacts);
  const [Blocklist, retryBlocklist] = useRetryableLazy(loadBlocklist);
  const [MailboxHealth, retryMailboxHealth] = useRetryableLazy(loadMailboxHealth);
  const [OrganizationSharing, retryOrganizationSharing] = useRetryableLazy(loadOrganizationSharing);

  const needsSignIn = signIn.signedOut || isSignInRequired(me.error);
  const signInError = signIn.error ? describeError(signIn.error) : null;
  const headerState = needsSignIn
    ? "signed_out"
    : me.data
      ? me.data.connection.status
      : me.error
        ? "unavailable"
        : "checking";
  const isAdmin = me.data?.user.isAdmin === true;
  const ownDomains = useMemo(() => ownDomainsOf(me.data), [me.data]);
  // The role can be gone when /api/me is read again (after a connection change): the view goes with it.
  const view: View = tab === "mailboxes" && !isAdmin ? "message" : tab;

  return (
    <ServicesContext.Provider value={watched}>
      <Header connection={headerState} />
      <main className={styles.main}>
        {needsSignIn ? (
          <MessageBar intent={signInError ? "warning" : "info"} layout="multiline">
            <MessageBarBody>
              {/* The button says "Sign in": the title and sentence don't say it again. */}
              <MessageBarTitle>{signInError ? "Sign-in didn't finish" : "Not signed in"}</MessageBarTitle>
              {signInError
                ? signInError.text
                : signIn.pending
                  ? "Finish in the Microsoft window. If you closed it, the button opens it again."
                  : "Use your work account to see whether this email is captured."}
              {signInError?.code && (
                <Text size={100} className={styles.muted}>
                  Error code: {signInError.code}
                </Text>
              )}
            </MessageBarBody>
            <MessageBarActions>
              {/* One action, never disabled: MSAL cannot tell when its window was closed (auth/msal.ts). */}
              <Button appearance="primary" onClick={() => void signIn.start()}>
                Sign in
              </Button>
            </MessageBarActions>
          </MessageBar>
        ) : me.loading && !me.data ? (
          <Loading label="Checking your connection" rows={2} />
        ) : me.error ? (
          <ErrorBar error={me.error} title="Couldn't reach Engagement Capture" onRetry={me.reload} />
        ) : me.data ? (
          <>
            <ConnectionPanel me={me.data} onChanged={() => setEpoch((e) => e + 1)} />
            {/* Three or four tabs fit a 320-pixel pane (Outlook's narrowest) only at the small size. */}
            <TabList
              className={styles.tabs}
              selectedValue={view}
              onTabSelect={(_, d) => setTab(d.value as View)}
              aria-label="Views"
              size="small"
            >
              <Tab value="message">{VIEW_LABEL.message}</Tab>
              <Tab value="contacts">{VIEW_LABEL.contacts}</Tab>
              <Tab value="blocklist">{VIEW_LABEL.blocklist}</Tab>
              {/* Only administrators may read other people's connections (the server answers 403 to anyone else). */}
              {isAdmin && <Tab value="mailboxes">{VIEW_LABEL.mailboxes}</Tab>}
            </TabList>
            <div role="tabpanel" aria-label={VIEW_LABEL[view]}>
              {view === "message" ? (
                <MessageView
                  key={epoch}
                  message={message}
                  takeFocusRequest={signIn.takeFocusRequest}
                  isAdmin={isAdmin}
                  ownDomains={ownDomains}
                />
              ) : view === "contacts" ? (
                <LazyView key="contacts" onRetry={retryContacts} loadingLabel="Loading contacts">
                  <Contacts />
                </LazyView>
              ) : view === "blocklist" ? (
                <LazyView key="blocklist" onRetry={retryBlocklist} loadingLabel="Loading the blocklist">
                  <Blocklist isAdmin={isAdmin} />
                </LazyView>
              ) : (
                <div className={styles.admin}>
                  <LazyView
                    key="sharing"
                    onRetry={retryOrganizationSharing}
                    loadingLabel="Loading the sharing settings"
                  >
                    <OrganizationSharing />
                  </LazyView>
                  <LazyView key="mailboxes" onRetry={retryMailboxHealth} loadingLabel="Loading mailbox health">
                    <MailboxHealth />
                  </LazyView>
                </div>
              )}
            </div>
          </>
        ) : null}
      </main>
    </ServicesContext.Provider>
  );
}

/** A view in its own chunk: loading skeleton while it downloads, Retry when the download failed. */
function LazyView({
  children,
  onRetry,
  loadingLabel,
}: {
  children: ReactNode;
  onRetry: () => void;
  loadingLabel: string;
}) {
  return (
    <ErrorBoundary onRetry={onRetry}>
      <Suspense fallback={<Loading label={loadingLabel} />}>{children}</Suspense>
    </ErrorBoundary>
  );
}
