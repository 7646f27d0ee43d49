/**
 * Tracked contacts: search, one client's contacts, edit a contact's name and client, untrack, and
 * rename a client. Tracking is organization-wide, so these change capture for everyone.
 */
import { useEffect, useRef, useState, type RefObject } from "react";
import {
  Button,
  Dropdown,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  Option,
  SearchBox,
  Text,
  makeStyles,
  mergeClasses,
  tokens,
} from "@fluentui/react-components";
import type { ClientView, ContactView, Page } from "../../shared/api/contract";
import { ApiError } from "../api/client";
import { useAnnounce } from "../state/announcer";
import { describeError } from "../state/errors";
import { formatWhen } from "../state/format";
import { useAction } from "../state/useAction";
import { useFocusAfterSwap } from "../state/useFocusAfterSwap";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { ClientPicker, useClientChoice } from "./ClientPicker";
import { Confirm } from "./Confirm";
import { RemovalChoice } from "./RemovalChoice";
import { removedSentence } from "../state/removal";
import { ErrorBar } from "./ErrorBar";
import { Loading } from "./Loading";
import { column, plainList, tabHeading } from "./pane-styles";

const useStyles = makeStyles({
  root: { ...column, gap: tokens.spacingVerticalM },
  heading: tabHeading,
  list: { ...plainList, gap: tokens.spacingVerticalM },
  item: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXS, minWidth: 0 },
  muted: { color: tokens.colorNeutralForeground3 },
  line: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" },
  wrap: { overflowWrap: "anywhere" },
  actions: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap" },
  form: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    paddingLeft: tokens.spacingHorizontalS,
    borderLeft: `2px solid ${tokens.colorNeutralStroke1}`,
  },
  filter: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  dropdown: { minWidth: 0, maxWidth: "100%" },
});

const ALL = "";
const PAGE_SIZE = 25;

/** Someone else changed the list since it was shown (the contact or client is gone): a 404. */
const isGone = (e: unknown) => e instanceof ApiError && e.status === 404;

export function ContactsView({ debounceMs = 250 }: { debounceMs?: number }) {
  const styles = useStyles();
  const { api, manage } = useServices();
  const announce = useAnnounce();
  const [input, setInput] = useState("");
  const [query, setQuery] = useState("");
  const [clientId, setClientId] = useState(ALL);
  const [notice, setNotice] = useState<string | null>(null);
  const [more, setMore] = useState<{
    after: Page<ContactView>;
    items: ContactView[];
    nextCursor: string | null;
  } | null>(null);
  useEffect(() => {
    const t = setTimeout(() => setQuery(input.trim()), debounceMs);
    return () => clearTimeout(t);
  }, [input, debounceMs]);
  const clients = useResource<ClientView[]>(
    () => api.listClients().then((c) => [...c].sort((a, b) => a.name.localeCompare(b.name))),
    "clients",
  );
  const result = useResource<Page<ContactView>>(
    () => manage.listContacts({ q: query || undefined, clientId: clientId || undefined, limit: PAGE_SIZE }),
    `contacts:${clientId}:${query}`,
  );
  const page = result.data;
  const extra = more && more.after === page ? more : null;
  const items = page ? [...page.items, ...(extra?.items ?? [])] : [];
  const nextCursor = extra ? extra.nextCursor : (page?.nextCursor ?? null);
  const client = clients.data?.find((c) => c.id === clientId) ?? null;

  // Focus for what replaced the pressed button: the contact's Edit button, else the heading.
  const heading = useRef<HTMLHeadingElement>(null);
  const editButtons = useRef(new Map<string, HTMLButtonElement>());
  const focusNext = useFocusAfterSwap((id: string | null) => (id && editButtons.current.get(id)) || heading.current, {
    ready: !result.loading,
    dropWhenMissing: true,
  });

  const refresh = (focusId: string | null = null) => {
    focusNext(focusId);
    result.reload();
    clients.reload();
  };
  const gone = (what: string) => {
    setNotice(`${what} Someone else may have changed it; the list now shows what is tracked.`);
    announce(`${what} The list was updated.`);
    refresh();
  };

  const loadMore = async () => {
    if (!page || !nextCursor) return;
    try {
      const next = await manage.listContacts({
        q: query || undefined,
        clientId: clientId || undefined,
        cursor: nextCursor,
        limit: PAGE_SIZE,
      });
      setMore({ after: page, items: [...(extra?.items ?? []), ...next.items], nextCursor: next.nextCursor });
    } catch (e) {
      announce("Couldn't load more contacts.");
      // Never a raw fetch or exception text on screen: the pane's own wording of the failure.
      setNotice(`Couldn't load more contacts. ${describeError(e).text}`);
    }
  };

  return (
    <section aria-labelledby="contacts-heading" className={styles.root}>
      <h2 id="contacts-heading" ref={heading} tabIndex={-1} className={styles.heading}>
        Tracked contacts
      </h2>
      <Text size={200} className={styles.muted}>
        A tracked contact is tracked for everyone in your organization.
      </Text>
      <div className={styles.filter}>
        <Field label="Client">
          <Dropdown
            className={styles.dropdown}
            value={client ? client.name : "All clients"}
            selectedOptions={[clientId]}
            onOptionSelect={(_, d) => {
              setClientId(d.optionValue ?? ALL);
              setNotice(null);
            }}
          >
            <Option value={ALL}>All clients</Option>
            {(clients.data ?? []).map((c) => (
              <Option key={c.id} value={c.id} text={c.name}>
                {c.contactCount === undefined ? c.name : `${c.name} (${c.contactCount})`}
              </Option>
            ))}
          </Dropdown>
        </Field>
        {!!clients.error && <ErrorBar error={clients.error} title="Couldn't load clients" onRetry={clients.reload} />}
        {client && (
          <RenameClient
            key={client.id}
            client={client}
            onRenamed={() => {
              // Its contacts show the client's name: both lists are read again (focus stays on Rename).
              clients.reload();
              result.reload();
            }}
            onGone={() => {
              setClientId(ALL);
              gone(`The client ${client.name} no longer exists.`);
            }}
          />
        )}
      </div>
      <Field label="Search contacts">
        {/* Fluent names the clear button "clear"; say what it clears. */}
        <SearchBox
          value={input}
          onChange={(_, d) => setInput(d.value)}
          placeholder="Name, email or client"
          dismiss={{ "aria-label": "Clear search" }}
        />
      </Field>
      {notice && (
        <MessageBar intent="info" layout="multiline">
          <MessageBarBody className={styles.wrap}>{notice}</MessageBarBody>
        </MessageBar>
      )}
      {result.loading && !page && <Loading label="Loading contacts" />}
      {!!result.error && <ErrorBar error={result.error} title="Couldn't load contacts" onRetry={result.reload} />}
      {page && items.length === 0 && (
        <Text>
          {query
            ? `No tracked contact matches “${query}”${client ? ` at ${client.name}` : ""}.`
            : client
              ? `No tracked contacts at ${client.name}.`
              : "No tracked contacts yet."}
        </Text>
      )}
      {page && items.length > 0 && (
        <ul className={styles.list} aria-label="Contacts" aria-busy={result.loading}>
          {items.map((c) => (
            <ContactItem
              key={c.id}
              contact={c}
              editRef={(el) => {
                if (el instanceof HTMLButtonElement) editButtons.current.set(c.id, el);
                else editButtons.current.delete(c.id);
              }}
              onSaved={(saved) => {
                setNotice(null);
                refresh(saved.id);
              }}
              onUntracked={() => {
                setNotice(null);
                refresh();
              }}
              onGone={() => gone(`${c.email} is no longer a tracked contact.`)}
            />
          ))}
        </ul>
      )}
      {nextCursor && (
        <div className={styles.actions}>
          <Button onClick={() => void loadMore()}>Load more</Button>
        </div>
      )}
    </section>
  );
}

/** "Tracked by Dana Kim, today at 2:09 PM"; without a recorded tracker (imported), only when. */
function trackedLine(c: ContactView): string {
  const by = c.trackedBy ? (c.trackedBy.displayName ?? c.trackedBy.email) : null;
  return by ? `Tracked by ${by}, ${formatWhen(c.createdAt)}` : `Tracked ${formatWhen(c.createdAt)}`;
}

interface ContactItemProps {
  contact: ContactView;
  editRef: (el: HTMLButtonElement | HTMLAnchorElement | null) => void;
  onSaved: (c: ContactView) => void;
  onUntracked: () => void;
  onGone: () => void;
}

function ContactItem({ contact: c, editRef, onSaved, onUntracked, onGone }: ContactItemProps) {
  const styles = useStyles();
  const { manage } = useServices();
  const [mode, setMode] = useState<"view" | "edit" | "untrack">("view");
  const { busy, failure, run, clear } = useAction();
  // The mode swaps the buttons out: focus returns to Edit once it is back.
  const edit = useRef<HTMLButtonElement | null>(null);
  const focusNext = useFocusAfterSwap(() => edit.current);
  const back = () => {
    clear();
    focusNext(undefined);
    setMode("view");
  };

  const [removeCaptured, setRemoveCaptured] = useState(false);
  const untrack = () =>
    run(
      async () => {
        const removed = await manage.deleteContact(c.id, { removeCaptured });
        onUntracked();
        return removeCaptured
          ? `Stopped tracking ${c.email}. ${removedSentence(removed)}`
          : `Stopped tracking ${c.email}. Engagements already captured stay.`;
      },
      { title: "Couldn't untrack", recover: (e) => (isGone(e) ? (onGone(), true) : false) },
    );

  return (
    <li className={styles.item} aria-label={c.name ? `${c.name}, ${c.email}` : c.email}>
      <Text weight="semibold" block className={styles.line} title={c.name ?? c.email}>
        {c.name ?? c.email}
      </Text>
      {c.name && (
        <Text size={200} className={mergeClasses(styles.muted, styles.line)} block title={c.email}>
          {c.email}
        </Text>
      )}
      <Text size={200} block className={styles.wrap}>
        {c.client ? `Client: ${c.client.name}` : "No client"}
      </Text>
      <Text size={200} block className={styles.muted}>
        {trackedLine(c)}
      </Text>
      {mode === "view" && (
        <div className={styles.actions}>
          <Button
            size="small"
            ref={(el) => {
              edit.current = el instanceof HTMLButtonElement ? el : null;
              editRef(el);
            }}
            onClick={() => setMode("edit")}
            aria-label={`Edit ${c.email}`}
          >
            Edit
          </Button>
          <Button size="small" appearance="subtle" onClick={() => setMode("untrack")} aria-label={`Untrack ${c.email}`}>
            Untrack
          </Button>
        </div>
      )}
      {mode === "edit" && (
        <EditContact
          contact={c}
          onSaved={(saved) => {
            back();
            // The list is read again; a contact moved out of the client shown leaves it, and focus goes to the heading.
            onSaved(saved);
          }}
          onCancel={back}
          onGone={onGone}
        />
      )}
      {mode === "untrack" && (
        <>
          <Confirm
            question={`Stop tracking ${c.email}? Email with them will no longer be captured, for anyone in your organization. Engagements already captured with them stay unless you remove them below.`}
            confirmLabel="Yes, untrack"
            busyLabel="Untracking…"
            busy={busy}
            onConfirm={() => void untrack()}
            onCancel={() => {
              setRemoveCaptured(false);
              back();
            }}
            focusableWhileBusy
          >
            <RemovalChoice
              load={() => manage.previewContactRemoval(c.id)}
              loadKey={`contact-removal:${c.id}`}
              subject={c.email}
              checked={removeCaptured}
              onChange={setRemoveCaptured}
            />
          </Confirm>
          {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
        </>
      )}
    </li>
  );
}

function EditContact({
  contact: c,
  onSaved,
  onCancel,
  onGone,
}: {
  contact: ContactView;
  onSaved: (c: ContactView) => void;
  onCancel: () => void;
  onGone: () => void;
}) {
  const styles = useStyles();
  const { manage } = useServices();
  const [name, setName] = useState(c.name ?? "");
  const choice = useClientChoice(true, c.client);
  const { busy, failure, run } = useAction();
  const nameInput = useRef<HTMLInputElement>(null);
  useEffect(() => nameInput.current?.focus(), []);

  const save = () => {
    if (busy) return;
    void run(
      async () => {
        // An empty client field keeps the contact without a client; a new name creates the client.
        const client = choice.ready ? await choice.resolve() : null;
        const saved = await manage.updateContact(c.id, {
          name: name.trim() || null,
          clientId: client ? client.id : null,
        });
        onSaved(saved);
        return `Saved ${saved.email}${saved.client ? `, client ${saved.client.name}` : ""}.`;
      },
      { title: "Couldn't save", recover: (e) => (isGone(e) ? (onGone(), true) : false) },
    );
  };

  return (
    <form
      className={styles.form}
      aria-label={`Edit ${c.email}`}
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
      onKeyDown={(e) => {
        // The client list closes on its own Escape first; a second Escape leaves the form.
        if (
          e.key === "Escape" &&
          !busy &&
          !(e.target instanceof HTMLInputElement && e.target.getAttribute("aria-expanded") === "true")
        ) {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <Field label="Name">
        <Input ref={nameInput} value={name} onChange={(_, d) => setName(d.value)} />
      </Field>
      <ClientPicker choice={choice} onSubmit={save} />
      <div className={styles.actions}>
        <Button type="submit" appearance="primary" size="small" disabledFocusable={busy}>
          {busy ? "Saving…" : "Save"}
        </Button>
        <Button size="small" onClick={onCancel} disabledFocusable={busy}>
          Cancel
        </Button>
      </div>
      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </form>
  );
}

function RenameClient({
  client,
  onRenamed,
  onGone,
}: {
  client: ClientView;
  onRenamed: () => void;
  onGone: () => void;
}) {
  const styles = useStyles();
  const { manage } = useServices();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(client.name);
  const [invalid, setInvalid] = useState(false);
  const { busy, failure, run, clear } = useAction();
  const renameButton = useRef<HTMLButtonElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const focusNext = useFocusAfterSwap(() => renameButton.current);
  useEffect(() => {
    if (editing) input.current?.focus();
  }, [editing]);
  const stop = () => {
    clear();
    setInvalid(false);
    setName(client.name);
    focusNext(undefined);
    setEditing(false);
  };

  if (!editing) {
    return (
      <div className={styles.actions}>
        <Button
          ref={renameButton}
          size="small"
          onClick={() => setEditing(true)}
          aria-label={`Rename client ${client.name}`}
        >
          Rename client
        </Button>
      </div>
    );
  }
  return (
    <form
      className={styles.form}
      aria-label={`Rename client ${client.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (!name.trim()) {
          setInvalid(true);
          input.current?.focus();
          return;
        }
        void run(
          async () => {
            const renamed = await manage.renameClient(client.id, name.trim());
            onRenamed();
            focusNext(undefined);
            setEditing(false);
            return `Renamed ${client.name} to ${renamed.name}.`;
          },
          { title: "Couldn't rename the client", recover: (e) => (isGone(e) ? (onGone(), true) : false) },
        );
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape" && !busy) {
          e.preventDefault();
          stop();
        }
      }}
    >
      <Field
        label="New client name"
        required
        validationState={invalid ? "error" : "none"}
        validationMessage={invalid ? "Enter a name." : undefined}
      >
        <Input
          ref={input as RefObject<HTMLInputElement>}
          value={name}
          onChange={(_, d) => {
            setName(d.value);
            setInvalid(false);
          }}
        />
      </Field>
      <Text size={200} className={styles.muted}>
        The new name shows for everyone in your organization, on every contact and engagement of this client.
      </Text>
      <div className={styles.actions}>
        <Button type="submit" appearance="primary" size="small" disabledFocusable={busy}>
          {busy ? "Saving…" : "Save name"}
        </Button>
        <Button size="small" onClick={stop} disabledFocusable={busy}>
          Cancel
        </Button>
      </div>
      {failure && <ErrorBar error={failure.error} title={failure.title} onRetry={failure.retry} />}
    </form>
  );
}
