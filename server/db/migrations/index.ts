/** Migrations in order. A static map (not a folder scan) so bundled builds and Jest find them alike. */
import type { Migration } from "kysely";
import * as m0001 from "./0001_initial";
import * as m0002 from "./0002_idempotency_send_state";
import * as m0003 from "./0003_idempotency_send_marker";
import * as m0004 from "./0004_incremental_listing";
import * as m0005 from "./0005_client_name_key";
import * as m0006 from "./0006_engagement_copies_body_cap";
import * as m0007 from "./0007_internal_domains_removal";
import * as m0008 from "./0008_contact_import_leases";
import * as m0009 from "./0009_retention";
import * as m0010 from "./0010_engagement_changes";
import * as m0011 from "./0011_sharing_levels";
import * as m0012 from "./0012_rule_changes";
import * as m0013 from "./0013_webhooks";
import * as m0014 from "./0014_sweep_newly_captured";
import * as m0015 from "./0015_compact_decisions";
import * as m0016 from "./0016_erasures";
import * as m0017 from "./0017_graph_subscriptions";

export const migrations: Record<string, Migration> = {
  "0001_initial": m0001,
  "0002_idempotency_send_state": m0002,
  "0003_idempotency_send_marker": m0003,
  "0004_incremental_listing": m0004,
  "0005_client_name_key": m0005,
  "0006_engagement_copies_body_cap": m0006,
  "0007_internal_domains_removal": m0007,
  "0008_contact_import_leases": m0008,
  "0009_retention": m0009,
  "0010_engagement_changes": m0010,
  "0011_sharing_levels": m0011,
  "0012_rule_changes": m0012,
  "0013_webhooks": m0013,
  "0014_sweep_newly_captured": m0014,
  "0015_compact_decisions": m0015,
  "0016_erasures": m0016,
  "0017_graph_subscriptions": m0017,
};
