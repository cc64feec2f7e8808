// The Postgres schema: the durable record (SPEC §1). drizzle-kit reads this file.
export * from './access-codes.js';
export * from './audit-log.js';
export * from './comments.js';
export * from './event-marks.js';
export * from './events.js';
export * from './notifications.js';
export * from './reservations.js';
export * from './users.js';
