// An event's drop-access settings (SPEC §9) as the admin gives them and the catalog keeps
// them (four columns of `events`): a presale that asks for an access code until it ends,
// and a proof-of-work gate (an ALTCHA challenge of `difficulty`, its maxnumber).
import type { EventRow } from './events.js';

export interface BotChallenge {
  enabled: boolean;
  /** the challenge's maxnumber: a client tries half of it on average */
  difficulty: number;
}

export const DEFAULT_CHALLENGE_DIFFICULTY = 100_000;

type DropAccessColumns = Pick<
  EventRow,
  'presaleEnabled' | 'presaleEndsAt' | 'botChallengeEnabled' | 'botChallengeDifficulty'
>;

export const botChallengeOf = (row: DropAccessColumns): BotChallenge => ({
  enabled: row.botChallengeEnabled,
  difficulty: row.botChallengeDifficulty,
});

/** The columns for settings given on create or patch (each replaces its setting whole). */
export function dropAccessColumns(input: {
  presale?: { enabled: boolean; endsAt?: string | null } | undefined;
  botChallenge?: { enabled: boolean; difficulty?: number } | undefined;
}): Partial<DropAccessColumns> {
  const columns: Partial<DropAccessColumns> = {};
  if (input.presale) {
    columns.presaleEnabled = input.presale.enabled;
    columns.presaleEndsAt = input.presale.endsAt ? new Date(input.presale.endsAt) : null;
  }
  if (input.botChallenge) {
    columns.botChallengeEnabled = input.botChallenge.enabled;
    columns.botChallengeDifficulty = input.botChallenge.difficulty ?? DEFAULT_CHALLENGE_DIFFICULTY;
  }
  return columns;
}

/**
 * What the hot path reads of the settings (Redis's event hash, the api's event view): 0
 * for a gate that is off. `presaleEndsAt` in ms; a presale past it asks for nothing.
 */
export interface DropAccess {
  presaleEndsAt: number;
  challengeMaxNumber: number;
}

export const NO_DROP_ACCESS: DropAccess = { presaleEndsAt: 0, challengeMaxNumber: 0 };

export const dropAccessOf = (row: DropAccessColumns): DropAccess => ({
  presaleEndsAt: row.presaleEnabled && row.presaleEndsAt ? row.presaleEndsAt.getTime() : 0,
  challengeMaxNumber: row.botChallengeEnabled ? row.botChallengeDifficulty : 0,
});
