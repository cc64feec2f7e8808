// Postgres through postgres.js, typed by drizzle with the schema in drizzle/schema.
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from '../../drizzle/schema/index.js';
import type { Config } from '../config.js';

export type Sql = postgres.Sql;

export function createSql(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>): Sql {
  return postgres(config.DATABASE_URL, {
    max: config.DATABASE_POOL_SIZE,
    connect_timeout: 5,
    idle_timeout: 60,
    onnotice: () => {},
  });
}

export function createDb(sql: Sql) {
  return drizzle(sql, { schema });
}

export type Db = ReturnType<typeof createDb>;
/** A Db or a transaction on it. */
export type DbOrTx = Pick<Db, 'select' | 'insert' | 'update' | 'delete'>;
