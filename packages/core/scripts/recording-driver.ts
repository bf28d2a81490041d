import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import type { Database, LedgerDb, LedgerTransaction } from '../src/db/database.ts';

/** A call of one repository function, given a handle and a transaction on it. */
export type RepositoryCall = (db: LedgerDb, trx: LedgerTransaction) => Promise<unknown>;

/** A driver that records each compiled statement and answers with no rows: nothing touches a database. */
class RecordingDriver implements Driver {
  readonly statements: CompiledQuery[] = [];
  private readonly connection: DatabaseConnection = {
    executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
      this.statements.push(query);
      return { rows: [] };
    },
    streamQuery: async function* () {},
  };
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

/**
 * The statements a repository function sends, with their parameters, recorded without a database.
 * Functions that expect a row throw on the empty answer; the statement is recorded by then.
 */
export async function recordStatements(call: RepositoryCall): Promise<CompiledQuery[]> {
  const driver = new RecordingDriver();
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  await db.transaction().execute((trx) => call(db, trx)).catch(() => undefined);
  return driver.statements;
}
