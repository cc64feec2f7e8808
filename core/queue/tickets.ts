// Queue tickets (SPEC §7): a waiting fan's place, signed, so that a poll needs no per-user
// read of Redis. Like Cloudflare's Waiting Room cookie, the ticket carries what only this
// fan knows about the queue; the api adds what every fan shares (how far admission has
// come, the rate, sold out), which it keeps in memory per event (api/event-views.ts).
//
// What a ticket binds:
//   place   the user's score in the queue: a random draw below 2^52 in the pre-queue, 2^52
//           plus the arrival number after the open (lua/joinQueue-5.lua)
//   turn    once the sale has opened, the user's fixed 1-based turn in the admission order
//           (admittedTotal + rank + 1 as Redis answered it): admission pops the queue from
//           its head and nobody joins ahead of anyone after the open, so the turn never
//           changes and position = turn − admittedTotal, exactly. 0 while unknown (a
//           pre-queue ticket before the open).
//   pass    when the fan was admitted, the expiry of their pass (0 before)
// The ticket is a function of these: polling again gives the same string, so the answer's
// ETag holds still. Its expiry is rounded up to a bucket for the same reason.
//
// The format is the engine's own (`q1.` then dot-separated fields and an HMAC-SHA256 over
// them), not a JWT: it is checked on every poll of a crowd, and clients treat it as opaque.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { derivedKey, type SigningSecretConfig } from '../auth/derived-keys.js';

export interface QueueTicketClaims {
  eventId: string;
  userId: string;
  /** the queue's score of the user's place (an integer, as Redis gave it) */
  place: string;
  /** 1-based turn in the admission order; 0 while not fixed yet */
  turn: number;
  /** ms since the epoch */
  joinedAt: number;
  /** ms since the epoch; 0 while not admitted */
  passExpiresAt: number;
}

export type TicketKeyConfig = SigningSecretConfig;

const VERSION = 'q1';
/** A ticket is good this long after it was last given out... */
const TICKET_TTL_SECONDS = 3600;
/** ...rounded up to this, so that it stays the same string between polls. */
const EXPIRY_BUCKET_SECONDS = 300;
const MAX_TICKET_LENGTH = 512;

/**
 * The ticket key: derived from the engine's signing secret (the HS256 secret, or the
 * private key when tokens are signed with a key pair), so every api process of one engine
 * shares it and no new secret has to be configured. The label keeps it apart from the
 * access tokens' key.
 */
export const queueTicketKey = (config: TicketKeyConfig): Buffer =>
  derivedKey('drop-engine queue ticket v1', config);

/** A ticket checked good: what it binds, and when it expires (s since the epoch). */
export interface GoodTicket {
  ticket: string;
  claims: QueueTicketClaims;
  expiresAt: number;
}

export type TicketCheck =
  | ({ ok: true } & GoodTicket)
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

const sameClaims = (a: QueueTicketClaims, b: QueueTicketClaims) =>
  a.eventId === b.eventId &&
  a.userId === b.userId &&
  a.place === b.place &&
  a.turn === b.turn &&
  a.joinedAt === b.joinedAt &&
  a.passExpiresAt === b.passExpiresAt;

/** The signature part of a ticket: unique to what it binds, so it can stand in an ETag. */
export const ticketMac = (ticket: string) => ticket.slice(ticket.lastIndexOf('.') + 1);

export function createQueueTickets(key: Buffer, now: () => number = Date.now) {
  const mac = (text: string) => createHmac('sha256', key).update(text).digest('base64url');

  return {
    /** The ticket for these claims; `expiresAt` (s) only for tests and tools. */
    sign(claims: QueueTicketClaims, expiresAt?: number): string {
      const exp =
        expiresAt ??
        Math.ceil((now() / 1000 + TICKET_TTL_SECONDS) / EXPIRY_BUCKET_SECONDS) *
          EXPIRY_BUCKET_SECONDS;
      const text = [
        VERSION,
        claims.eventId,
        claims.userId,
        claims.place,
        claims.turn,
        claims.joinedAt,
        claims.passExpiresAt,
        exp,
      ].join('.');
      return `${text}.${mac(text)}`;
    },

    /**
     * The ticket for these claims: the one the fan sent, when it binds the same and has more
     * than half its life left (no signing on a poll that changes nothing), else a new one.
     */
    reissue(claims: QueueTicketClaims, given?: GoodTicket): string {
      if (
        given &&
        sameClaims(claims, given.claims) &&
        given.expiresAt * 1000 - now() > (TICKET_TTL_SECONDS * 1000) / 2
      ) {
        return given.ticket;
      }
      return this.sign(claims);
    },

    /** Whether the ticket is one this engine gave out and still good, and what it binds. */
    verify(ticket: string): TicketCheck {
      if (ticket.length > MAX_TICKET_LENGTH) return { ok: false, reason: 'malformed' };
      const cut = ticket.lastIndexOf('.');
      const text = ticket.slice(0, cut);
      const fields = text.split('.');
      if (cut < 0 || fields.length !== 8 || fields[0] !== VERSION) {
        return { ok: false, reason: 'malformed' };
      }
      const given = Buffer.from(ticket.slice(cut + 1));
      const expected = Buffer.from(mac(text));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { ok: false, reason: 'forged' };
      }
      // Signed by this engine, so made by sign(): the fields are what it wrote.
      const [, eventId, userId, place, turn, joinedAt, passExpiresAt, exp] = fields as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      if (Number(exp) * 1000 <= now()) return { ok: false, reason: 'expired' };
      return {
        ok: true,
        ticket,
        expiresAt: Number(exp),
        claims: {
          eventId,
          userId,
          place,
          turn: Number(turn),
          joinedAt: Number(joinedAt),
          passExpiresAt: Number(passExpiresAt),
        },
      };
    },
  };
}

export type QueueTickets = ReturnType<typeof createQueueTickets>;
