/** Migrations in order. A static map (not a folder scan) so bundled builds and Jest find them alike. */
import type { Migration } from "kysely";
import * as m0001 from "./0001_initial";

export const migrations: Record<string, Migration> = {
  "0001_initial": m0001,
};
