// The crowd's clients: the waiting fans' polls for wrk (tokens and tickets signed here with
// the engine's keys), the open availability streams, and the buyers' open loop of reserves.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createAccessTokens } from '../../core/auth/access-tokens.js';
import { createQueuePasses } from '../../core/queue/passes.js';
import { createQueueTickets, queueTicketKey } from '../../core/queue/tickets.js';
import {
  BUYER_RATE,
  base,
  buyers,
  config,
  fail,
  PER_CONNECTION,
  pollsFile,
  SAMPLE,
  sleep,
  url,
} from './setup.js';

const tokens = await createAccessTokens(config);
const tickets = createQueueTickets(queueTicketKey(config));
export const passes = await createQueuePasses(config);
/** The waiting fans of the sample: distinct offline users, each with an access token. */
const fans = await Promise.all(
  Array.from({ length: SAMPLE }, async () => {
    const userId = randomUUID();
    return { userId, authorization: `Bearer ${await tokens.sign({ userId, role: 'user' })}` };
  }),
);

/** Writes the polls of a crowd of `size` for wrk; returns a fan in its middle, for a probe. */
export function writePolls(eventId: string, size: number, admittedTotal: number) {
  const sample = Math.min(size, SAMPLE);
  const joinedAt = Date.now() - 60_000;
  const lines: string[] = [];
  for (let k = 0; k < sample; k++) {
    const fan = fans[k] as (typeof fans)[number];
    const turn = admittedTotal + 1 + Math.floor((k * size) / sample);
    const ticket = tickets.sign({
      eventId,
      userId: fan.userId,
      place: String(2 ** 52 + turn),
      turn,
      joinedAt,
      passExpiresAt: 0,
    });
    lines.push(`${fan.authorization}\t${ticket}\n`);
  }
  writeFileSync(pollsFile, lines.join(''));
  const middle = lines[Math.floor(sample / 2)]?.trimEnd().split('\t') ?? [];
  return { sample, probe: { authorization: middle[0] ?? '', ticket: middle[1] ?? '' } };
}

/** wrk's connections and pace (ms before each request of a connection) for a rate. */
export function pace(rate: number) {
  const connections = Math.max(1, Math.ceil(rate / PER_CONNECTION));
  return { connections, delayMs: Math.max(1, Math.round((1000 * connections) / rate)) };
}

// Open streams: each counts the availability events it reads.
const STREAM_EVENT = 'event: availability';
interface Stream {
  socket: Socket;
  open: boolean;
  events: number;
}
export const streams: Stream[] = [];

function openStream(eventId: string, attempt = 0): Promise<Stream | undefined> {
  const request = `GET /v1/events/${eventId}/availability/stream HTTP/1.1\r\nHost: ${base.host}\r\nAccept: text/event-stream\r\n\r\n`;
  return new Promise((resolve) => {
    const socket = connect({ host: base.hostname, port: Number(base.port) });
    socket.setEncoding('latin1');
    const stream: Stream = { socket, open: false, events: 0 };
    let answered = false;
    let tail = '';
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => {
      if (!answered) {
        answered = true;
        if (chunk.startsWith('HTTP/1.1 503') && attempt < 20) {
          // The api sheds a connect storm: an app retries after Retry-After.
          socket.destroy();
          const wait = Number(/retry-after: (\d+)/i.exec(chunk)?.[1] ?? 1) * 1000;
          setTimeout(() => openStream(eventId, attempt + 1).then(resolve), wait);
          return;
        }
        if (!chunk.startsWith('HTTP/1.1 200')) {
          socket.destroy();
          fail(`a stream answered ${chunk.split('\r\n', 1)[0]}`);
          return resolve(undefined);
        }
        stream.open = true;
        resolve(stream);
      }
      // The tail is shorter than the name: a match is never counted twice.
      const text = tail + chunk;
      stream.events += text.split(STREAM_EVENT).length - 1;
      tail = text.slice(-(STREAM_EVENT.length - 1));
    });
    socket.on('close', () => {
      if (!answered) {
        fail('a stream closed before any answer');
        resolve(undefined);
      }
      stream.open = false;
    });
    socket.on('error', () => {});
  });
}

/** Opens or closes streams until `count` are open, 200 connects at a time. */
export async function keepStreams(eventId: string, count: number) {
  while (streams.length > count) streams.pop()?.socket.destroy();
  let wanted = count - streams.length;
  await Promise.all(
    Array.from({ length: Math.min(200, wanted) }, async () => {
      while (wanted > 0) {
        wanted -= 1;
        const stream = await openStream(eventId);
        if (stream) streams.push(stream);
      }
    }),
  );
}

// Buyers: an open loop at BUYER_RATE, round-robin over the admitted buyers.
interface Reserve {
  /** performance.now() when it was sent */
  sentAt: number;
  ms: number;
  status: number;
}
export const reserves: Reserve[] = [];
export const clientLoop = monitorEventLoopDelay({ resolution: 10 });
clientLoop.enable();

export async function runBuyers(eventId: string, categoryId: string, running: { on: boolean }) {
  const body = JSON.stringify({ eventId, categoryId, quantity: 1 });
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; running.on; i++) {
    const wait = start + (i * 1000) / BUYER_RATE - performance.now();
    if (wait > 0) await sleep(wait);
    const buyer = buyers[i % buyers.length] as (typeof buyers)[number];
    const sentAt = performance.now();
    inFlight.push(
      fetch(url('/v1/reservations'), {
        method: 'POST',
        headers: {
          authorization: buyer.authorization,
          'queue-pass': buyer.pass ?? '',
          'content-type': 'application/json',
        },
        body,
      })
        .then(async (res) => {
          await res.arrayBuffer();
          reserves.push({ sentAt, ms: performance.now() - sentAt, status: res.status });
        })
        .catch(() => {
          reserves.push({ sentAt, ms: performance.now() - sentAt, status: 0 });
        }),
    );
  }
  await Promise.all(inFlight);
}
