# Schemathesis hooks of `npm run test:fuzz` (tools/dev/fuzz.sh loads them): what the
# document says in words but a JSON Schema cannot state, told to the fuzzer so that its
# positive (schema-valid) requests are valid.
from datetime import datetime

import schemathesis
from schemathesis import GenerationMode


def _instant(value):
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _repeats_a_seat(seat_map):
    seen = set()
    for section in seat_map.get("sections") or []:
        for row in (section or {}).get("rows") or []:
            seats = (row or {}).get("seats")
            # A count (JSON's integers may come as 3.0) or the labels themselves.
            if isinstance(seats, (int, float)):
                labels = range(1, int(seats) + 1)
            else:
                labels = seats if isinstance(seats, list) else []
            for label in labels:
                seat = f"{section.get('name')}-{row.get('name')}-{label}"
                if seat in seen:
                    return True
                seen.add(seat)
    return False


@schemathesis.hook
def filter_case(context, case):
    """Positive cases only as the document's words allow them:
    - an event's endsAt, when given with its startsAt, is not before it (CreateEvent, PatchEvent);
    - a seat is not both blocked and unblocked in one change (SeatBlocks);
    - a reserve names seats of the category's map (SPEC §8: unknown ids are 400
      validation_failed), which a generated id never is: seats are reserved in the tests;
    - a seat map names each seat once (its id is section-row-label).
    """
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return True
    body = case.body
    if not isinstance(body, dict):
        return True
    if isinstance(body.get("block"), list) and isinstance(body.get("unblock"), list):
        if set(map(str, body["block"])) & set(map(str, body["unblock"])):
            return False
    if "seats" in body and case.path == "/v1/reservations":
        return False
    if isinstance(body.get("seatMap"), dict) and _repeats_a_seat(body["seatMap"]):
        return False
    if not body.get("startsAt") or not body.get("endsAt"):
        return True
    starts, ends = _instant(body["startsAt"]), _instant(body["endsAt"])
    return starts is None or ends is None or ends >= starts
