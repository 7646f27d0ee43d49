/**
 * Every column of every table, searched for a string (case-insensitively), per organization: what an
 * erasure test asserts is gone. Read from the database's own catalogue, so a table or column added later
 * is searched too without changing the tests.
 */
import { SqliteAdapter, sql, type Kysely } from "kysely";

export interface ColumnRef {
  table: string;
  column: string;
}

export async function allColumns(db: Kysely<any>): Promise<ColumnRef[]> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    const tables = await sql<{ name: string }>`
      select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(db);
    const out: ColumnRef[] = [];
    for (const { name } of tables.rows) {
      const cols = await sql<{ name: string }>`select name from pragma_table_info(${name})`.execute(db);
      for (const c of cols.rows) out.push({ table: name, column: c.name });
    }
    return out;
  }
  const cols = await sql<{ tableName: string; columnName: string }>`
    select c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
    order by c.table_name, c.ordinal_position`.execute(db);
  return cols.rows.map((r) => ({ table: r.tableName, column: r.columnName }));
}

/**
 * "table.column: n" for every column holding `needle` in rows of the organization (rows of tables
 * without organization_id count for every organization).
 */
export async function columnsHolding(db: Kysely<any>, needle: string, organizationId: string): Promise<string[]> {
  const columns = await allColumns(db);
  const orgColumn = new Map<string, string | null>();
  for (const { table, column } of columns) {
    if (!orgColumn.has(table)) orgColumn.set(table, null);
    if (column === "organization_id") orgColumn.set(table, "organization_id");
  }
  orgColumn.set("organizations", "id");
  const pattern = `%${needle.toLowerCase()}%`;
  const out: string[] = [];
  for (const { table, column } of columns) {
    const scope = orgColumn.get(table);
    const where = scope ? sql`and ${sql.ref(scope)} = ${organizationId}` : sql``;
    const res = await sql<{ n: string | number }>`
      select count(*) as n from ${sql.table(table)}
      where lower(cast(${sql.ref(column)} as text)) like ${pattern} ${where}`.execute(db);
    const n = Number(res.rows[0].n);
    if (n > 0) out.push(`${table}.${column}: ${n}`);
  }
  return out;
}
