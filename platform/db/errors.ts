// Postgres error classification by SQLSTATE (postgres.js puts it on `code`).
const sqlState = (err: unknown) => (err as { code?: unknown } | null)?.code;

export const isUniqueViolation = (err: unknown) =>
  sqlState(err) === '23505' || sqlState((err as { cause?: unknown })?.cause) === '23505';
