// The reserve refusals an event's view (Holds.view, kept in memory by the api) can give
// without asking Redis: the reserve script's own checks (lua/reserve-7.lua), in its order,
// up to and including the stock. A crowd pressing "reserve" on a sold-out drop, or without
// a queue pass, is refused here. Whatever the view cannot be sure of (no such event or
// category, not on sale, fenced) goes to Redis, which stays the only judge of an accept.
import type { EventView } from './event-stock.js';
import { HoldError, HoldRefusal } from './hold.js';

/**
 * The refusal Redis would give for this reserve now, by the view; null when the view
 * cannot tell (Redis decides). `queuePass` is the caller's pass as the api checked it:
 * its id, 'invalid', or '' for none sent.
 */
export function refusalFromView(
  view: EventView,
  categoryId: string,
  quantity: number,
  queuePass: string,
): HoldRefusal | null {
  if (view.fenced || view.state.status !== 'on_sale') return null;
  const category = view.categories.find((c) => c.id === categoryId);
  if (!category) return null;
  if (view.queue.enabled) {
    if (queuePass === '') return new HoldRefusal(HoldError.QueuePassRequired, []);
    if (queuePass === 'invalid') return new HoldRefusal(HoldError.QueuePassInvalid, []);
  }
  if (quantity > category.available) {
    return new HoldRefusal(HoldError.SoldOut, [String(Math.max(0, category.available))]);
  }
  return null;
}
