/**
 * The task pane: banner with the connection state, then either the open message (status, people)
 * or the contacts search. Sign-in is asked for only when a silent token isn't available.
 */
import { Suspense, lazy, useState } from "react";
import { Button, FluentProvider, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle, Tab, TabList, makeStyles, tokens, webDarkTheme, webLightTheme } from "@fluentui/react-components";
import type { MeResponse } from "../../shared/api/contract";
import { isInteractionRequired } from "../auth/types";
import { officeThemeKind, type ThemeKind } from "../office/theme";
import { AnnouncerProvider, useAnnounce } from "../state/announcer";
import { useOpenMessage } from "../state/useOpenMessage";
import { useResource } from "../state/useResource";
import { ServicesContext, useServices, type PaneServices } from "../state/services";
import { ConnectionPanel } from "./ConnectionPanel";
import { ErrorBar } from "./ErrorBar";
import { Header } from "./Header";
import { Loading } from "./Loading";
import { MessageView } from "./MessageView";

const ContactsView = lazy(() => import(/* webpackChunkName: "contacts" */ "./ContactsView").then((m) => ({ default: m.ContactsView })));

const useStyles = makeStyles({
  main: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM, padding: tokens.spacingHorizontalM },
  provider: { minHeight: "100vh" },
});

export function App({ services, theme }: { services: PaneServices; theme?: ThemeKind }) {
  const styles = useStyles();
  const [kind] = useState<ThemeKind>(() => theme ?? officeThemeKind());
  return (
    <FluentProvider theme={kind === "dark" ? webDarkTheme : webLightTheme} className={styles.provider}>
      <ServicesContext.Provider value={services}>
        <AnnouncerProvider>
          <Pane />
        </AnnouncerProvider>
      </ServicesContext.Provider>
    </FluentProvider>
  );
}

function Pane() {
  const styles = useStyles();
  const { api, auth } = useServices();
  const announce = useAnnounce();
  const [epoch, setEpoch] = useState(0); // bumps after sign-in or a connection change
  const me = useResource<MeResponse>(() => api.me(), `me:${epoch}`);
  const message = useOpenMessage();
  const [tab, setTab] = useState<"message" | "contacts">("message");
  const [signInError, setSignInError] = useState<unknown>(null);
  const [signingIn, setSigningIn] = useState(false);

  const needsSignIn = isInteractionRequired(me.error);
  const signIn = async () => {
    setSigningIn(true);
    setSignInError(null);
    try {
      await auth.signIn();
      announce("Signed in.");
      setEpoch((e) => e + 1);
    } catch (e) {
      setSignInError(e);
    } finally {
      setSigningIn(false);
    }
  };

  return (
    <>
      <Header connection={me.data?.connection.status ?? null} />
      <main className={styles.main}>
        {needsSignIn ? (
          <MessageBar intent="info" layout="multiline">
            <MessageBarBody>
              <MessageBarTitle>Sign in</MessageBarTitle>
              Sign in with your work account to see whether this email is captured.
            </MessageBarBody>
            <MessageBarActions>
              <Button appearance="primary" onClick={signIn} disabled={signingIn}>
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
            <TabList selectedValue={tab} onTabSelect={(_, d) => setTab(d.value as "message" | "contacts")} aria-label="Views">
              <Tab value="message">This message</Tab>
              <Tab value="contacts">Contacts</Tab>
            </TabList>
            <div role="tabpanel" aria-label={tab === "message" ? "This message" : "Contacts"}>
              {tab === "message" ? (
                <MessageView key={epoch} message={message} />
              ) : (
                <Suspense fallback={<Loading label="Loading contacts" />}>
                  <ContactsView />
                </Suspense>
              )}
            </div>
          </>
        ) : null}
        {!!signInError && <ErrorBar error={signInError} title="Sign-in didn't finish" onRetry={signIn} />}
      </main>
    </>
  );
}
