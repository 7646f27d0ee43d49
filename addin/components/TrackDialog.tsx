/**
 * Track a participant: pick an existing client or type a new one, then POST the contact. The dialog
 * says what tracking reaches (everyone's mailbox in the organization, and the past 24 hours), refuses
 * the user's own colleagues, and warns before tracking a role address (info@, team@, noreply@ …).
 */
import { useEffect, useState } from "react";
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Text,
} from "@fluentui/react-components";
import type { ContactView } from "../../shared/api/contract";
import { isRoleAddress } from "../../shared/capture/role-address";
import { isColleague } from "../state/people";
import { useServices } from "../state/services";
import { useAction } from "../state/useAction";
import { ClientPicker, useClientChoice } from "./ClientPicker";
import { ErrorBar } from "./ErrorBar";

export interface TrackTarget {
  address: string;
  name: string | null;
}

export interface TrackDialogProps {
  target: TrackTarget | null;
  onClose: () => void;
  onTracked: (c: ContactView) => void;
  /** The user's own domains (GET /api/me): their colleagues are never tracked. */
  ownDomains?: readonly string[];
}

export function TrackDialog({ target, onClose, onTracked, ownDomains = [] }: TrackDialogProps) {
  const { api } = useServices();
  const [name, setName] = useState("");
  const { busy: saving, failure: saveFailure, run, clear: clearSaveFailure } = useAction();
  const choice = useClientChoice(!!target);
  const { setQuery, setSelectedId } = choice;
  const colleague = !!target && isColleague(target.address, ownDomains);
  const role = !!target && !colleague && isRoleAddress(target.address);

  useEffect(() => {
    if (!target) return;
    setName(target.name ?? "");
    setQuery("");
    setSelectedId(null);
    clearSaveFailure();
  }, [target, clearSaveFailure, setQuery, setSelectedId]);

  const canSave = !saving && !colleague && choice.ready;

  const save = async () => {
    if (!target || !canSave) return;
    await run(
      async () => {
        const client = await choice.resolve();
        const contact = await api.createContact({
          email: target.address,
          clientId: client.id,
          ...(name.trim() ? { name: name.trim() } : {}),
        });
        onTracked(contact); // the message view says so, once the dialog is gone
      },
      { title: "Couldn't track this person" },
    );
  };

  return (
    <Dialog open={!!target} onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface aria-describedby="track-desc">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <DialogBody>
            {/* An address has few break points: let it wrap anywhere rather than overflow the dialog. */}
            <DialogTitle style={{ overflowWrap: "anywhere" }}>Track {target?.address}</DialogTitle>
            <DialogContent style={{ display: "flex", flexDirection: "column", gap: 12, overflowWrap: "anywhere" }}>
              {colleague ? (
                <Text id="track-desc">
                  {target?.address} is in your own organization. Only people outside it can be tracked: mail among
                  colleagues is never captured.
                </Text>
              ) : (
                <>
                  <Text id="track-desc">
                    {target?.address} will be tracked for everyone in your organization: email with them in any
                    connected mailbox is captured to the client's record, from now on and from the past 24 hours.
                  </Text>
                  {role && (
                    <MessageBar intent="warning" layout="multiline">
                      <MessageBarBody>
                        <MessageBarTitle>This looks like a shared address</MessageBarTitle>
                        {target?.address} seems to belong to a team or a system rather than one person. Tracking it
                        captures every email with it, for everyone in your organization.
                      </MessageBarBody>
                    </MessageBar>
                  )}
                  <Field label="Name">
                    <Input value={name} onChange={(_, d) => setName(d.value)} />
                  </Field>
                  <ClientPicker choice={choice} onSubmit={() => void save()} />
                </>
              )}
              {/* Retry saves what the form holds now, which may have been corrected since the failure. */}
              {saveFailure && (
                <ErrorBar error={saveFailure.error} title={saveFailure.title} onRetry={() => void save()} />
              )}
            </DialogContent>
            <DialogActions>
              <Button appearance="secondary" onClick={onClose} disabled={saving}>
                {colleague ? "Close" : "Cancel"}
              </Button>
              {!colleague && (
                <Button appearance="primary" type="submit" disabled={!canSave}>
                  {saving ? "Tracking…" : role ? "Track anyway" : "Track contact"}
                </Button>
              )}
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
