/**
 * Style fragments every pane view repeats (spread into each view's own makeStyles, so Griffel still
 * emits atomic classes once). Fluent tokens only: the Office theme and high contrast follow.
 */
import { tokens, type GriffelStyle } from "@fluentui/react-components";

/** A list read as a list by screen readers, drawn without bullets or indents. */
export const plainList = {
  listStyle: "none",
  margin: 0,
  padding: 0,
  display: "flex",
  flexDirection: "column",
} satisfies GriffelStyle;

/** A view's column of sections; minWidth 0 lets long addresses shrink at Outlook's 320 px. */
export const column = { display: "flex", flexDirection: "column", minWidth: 0 } satisfies GriffelStyle;

/** A tab's heading (Contacts, Blocklist, Mailboxes). */
export const tabHeading = { margin: 0, fontSize: tokens.fontSizeBase400 } satisfies GriffelStyle;

/** A detail view's heading (a person's history, one engagement): may be a long subject or address. */
export const detailHeading = {
  margin: 0,
  fontSize: tokens.fontSizeBase500,
  lineHeight: tokens.lineHeightBase500,
  overflowWrap: "anywhere",
} satisfies GriffelStyle;
