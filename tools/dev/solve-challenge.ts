// Solves an event's bot challenge (SPEC §9) from the shell, with ALTCHA's own solver
// (altcha-lib/v1), and prints the Challenge-Solution header's value: Base64 of the JSON
// ALTCHA's widget submits.
//
//   SOLUTION=$(node --import tsx tools/dev/solve-challenge.ts <eventId> [apiBase])
//       fetches GET <apiBase>/v1/events/<eventId>/challenge (apiBase: API_URL, else
//       http://127.0.0.1:$PORT, else :8080) and solves it
//   curl -s $API/v1/events/$EVENT/challenge | node --import tsx tools/dev/solve-challenge.ts -
//       solves a challenge read from stdin
//
// How long the solving took goes to stderr. A solution is good once, within 5 minutes.
import { solveChallenge } from 'altcha-lib/v1';

interface Challenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function fetchChallenge(eventId: string, base: string): Promise<string> {
  const res = await fetch(`${base}/v1/events/${eventId}/challenge`);
  const text = await res.text();
  if (!res.ok) throw new Error(`GET challenge: ${res.status} ${text}`);
  return text;
}

/** The solution of `challenge`, as the Challenge-Solution header takes it. */
export async function solve(challenge: Challenge): Promise<{ header: string; tookMs: number }> {
  const started = performance.now();
  const found = await solveChallenge(
    challenge.challenge,
    challenge.salt,
    challenge.algorithm,
    challenge.maxnumber,
  ).promise;
  if (!found) throw new Error('no number up to maxnumber solves this challenge');
  const { algorithm, salt, signature } = challenge;
  const payload = {
    algorithm,
    challenge: challenge.challenge,
    number: found.number,
    salt,
    signature,
  };
  return {
    header: Buffer.from(JSON.stringify(payload)).toString('base64'),
    tookMs: performance.now() - started,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [target, baseArg] = process.argv.slice(2);
  if (!target) {
    console.error('usage: solve-challenge.ts <eventId> [apiBase]  |  solve-challenge.ts - (stdin)');
    process.exit(64);
  }
  const base = baseArg ?? process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8080'}`;
  try {
    const text = target === '-' ? await readStdin() : await fetchChallenge(target, base);
    const { header, tookMs } = await solve(JSON.parse(text) as Challenge);
    console.error(`solved in ${Math.round(tookMs)} ms`);
    console.log(header);
  } catch (err) {
    console.error(`solve-challenge: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
