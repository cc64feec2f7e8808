// The availability stream's Server-Sent Events, written straight on Node's response: a
// crowd holds tens of thousands of them open on one api process, so an open stream is the
// socket, Node's request and response, and one small listener; no web stream, no Hono
// context, no promise per stream. A document is framed once, as a whole HTTP/1.1 chunk,
// and the same bytes go to every stream with one socket write each. What a client sees is
// what Hono's streamSSE sent: the same head, the same frames, the same comments.
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { AvailabilitySnapshot } from './availability.js';
import type { StreamListener } from './availability-stream.js';

/**
 * What the route answers once the stream owns the response: @hono/node-server leaves a
 * response it marks so alone. It must be a global Response, made when this module loads
 * (before serve() puts the adapter's own Response class in its place): one of those would
 * be written, and the stream ended, by the adapter.
 */
export const STREAM_OWNS_RESPONSE = RESPONSE_ALREADY_SENT;

/** streamSSE's head; the adapter adds the request id and the security headers (http-server.ts). */
const HEAD = {
  'transfer-encoding': 'chunked',
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const;

/** One event in the text/event-stream format, as streamSSE's writeSSE lays it out. */
function frame(event: string, data: string, id?: string): string {
  const lines = data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n');
  return `event: ${event}\n${lines}\n${id === undefined ? '' : `id: ${id}\n`}\n`;
}

/**
 * Text as one chunk of the chunked body the head announced: what Node's res.write would put
 * on the wire, but built once for all streams instead of once per write.
 */
function chunk(text: string): Buffer {
  const body = Buffer.from(text);
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, CRLF]);
}
const CRLF = Buffer.from('\r\n');

const HEARTBEAT = chunk(': heartbeat\n\n');
const SHUTDOWN = frame('shutdown', JSON.stringify({ reason: 'shutdown' }));
/** Sent when the stream cannot start (streamSSE sent its `error` event then). */
const FAILED = frame('error', 'availability stream failed');

interface Framed {
  /** The document's version: its ETag without the quotes. */
  id: string;
  chunk: Buffer;
}

/**
 * Each document framed once, however many streams it goes to; gone with the document. A
 * group hands every listener the same snapshot object.
 */
const framed = new WeakMap<AvailabilitySnapshot, Framed>();
function framedOf(snapshot: AvailabilitySnapshot): Framed {
  let f = framed.get(snapshot);
  if (!f) {
    const id = snapshot.etag.replaceAll('"', '');
    f = { id, chunk: chunk(frame('availability', snapshot.body, id)) };
    framed.set(snapshot, f);
  }
  return f;
}

/**
 * One client's availability stream: a listener of the event's group (availability-stream.ts)
 * that writes to the client's socket. Methods live on the prototype; what each stream holds
 * is its fields.
 */
export class AvailabilityEventStream implements StreamListener {
  /** Removes the listener from its group; set once listening. */
  private stop: (() => void) | undefined;
  private closed = false;
  /** The newest document not yet written while the client reads slower than we send. */
  private waiting: AvailabilitySnapshot | undefined;

  /**
   * Writes the head at once (a client knows the stream is open before the first document).
   * `lastId` is the Last-Event-ID the client came back with: that document is not sent again.
   */
  constructor(
    private readonly res: ServerResponse,
    private lastId: string | undefined,
    private readonly release: () => void,
  ) {
    // The adapter's own close handler aborts the web Request's signal, which nothing of a
    // stream reads, and holds that Request (its URL, its headers) for as long as the stream
    // is open: it goes, ours is the only one.
    for (const listener of res.listeners('close')) res.off('close', listener as () => void);
    res.on('close', () => this.close());
    res.writeHead(200, HEAD);
    res.flushHeaders();
  }

  /**
   * Listens first, then reads: no change falls between the two. A failure ends the stream
   * with an `error` event (fail).
   */
  async start(
    listen: (listener: StreamListener) => Promise<() => void>,
    read: () => Promise<AvailabilitySnapshot | null>,
  ): Promise<void> {
    this.stop = await listen(this);
    if (this.closed) return this.stop();
    const now = await read();
    if (now) this.send(now);
  }

  /** Ends a stream that could not start; its place is released as it closes. */
  fail(): void {
    if (!this.res.writableEnded) this.res.end(FAILED);
  }

  send(snapshot: AvailabilitySnapshot): void {
    const socket = this.res.socket;
    if (!socket || this.res.writableEnded) return;
    const { id, chunk } = framedOf(snapshot);
    if (id === this.lastId) return;
    // A document replaces the one before it: a client that does not keep up gets the
    // newest once it has read what is queued, not every one in between.
    if (socket.writableNeedDrain) {
      if (!this.waiting) socket.once('drain', () => this.sendWaiting());
      this.waiting = snapshot;
      return;
    }
    this.lastId = id;
    // The head is on the socket (flushHeaders), and Node writes nothing more of this
    // response until end(): its chunks go straight after it.
    socket.write(chunk);
  }

  ping(): void {
    const socket = this.res.socket;
    // A stream with writes still queued is not idle: no comment is piled on top.
    if (socket && !this.res.writableEnded && !socket.writableNeedDrain) socket.write(HEARTBEAT);
  }

  end(_reason: 'shutdown'): void {
    if (!this.res.writableEnded) this.res.end(SHUTDOWN);
  }

  private sendWaiting(): void {
    const snapshot = this.waiting;
    this.waiting = undefined;
    if (snapshot) this.send(snapshot);
  }

  /** The client went away or the stream ended: leave the group, free the place. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting = undefined;
    this.stop?.();
    this.release();
  }
}
