// The payment provider, simulated (SPEC §2): `tok_fail` is declined, anything else paid.
// A charge is keyed by its hold, as a real provider's idempotency key would be: asking
// again for the same hold (a confirm retried after an interruption) charges nothing twice.
// The simulated outcome depends on the token alone, so the key is all it needs.

/** The simulated provider's token that always fails. */
export const FAILING_PAYMENT_TOKEN = 'tok_fail';

export type PaymentOutcome = 'paid' | 'declined';

export interface Payments {
  /**
   * Whether a charge answers at once. Then the hold is confirmed straight from `held` in
   * one step; otherwise it is made `confirming` first, so it cannot expire under the
   * payment (SPEC §2).
   */
  readonly instant: boolean;
  charge(holdId: string, paymentToken: string | undefined): Promise<PaymentOutcome>;
}

export function simulatedPayments(delayMs: number): Payments {
  const outcome = (token: string | undefined): PaymentOutcome =>
    token === FAILING_PAYMENT_TOKEN ? 'declined' : 'paid';
  if (delayMs <= 0) return { instant: true, charge: async (_holdId, token) => outcome(token) };
  return {
    instant: false,
    charge: (_holdId, token) =>
      new Promise((resolve) => setTimeout(() => resolve(outcome(token)), delayMs)),
  };
}
