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


@schemathesis.hook
def filter_case(context, case):
    """An event's endsAt, when given with its startsAt, is not before it (CreateEvent, PatchEvent)."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return True
    body = case.body
    if not isinstance(body, dict) or not body.get("startsAt") or not body.get("endsAt"):
        return True
    starts, ends = _instant(body["startsAt"]), _instant(body["endsAt"])
    return starts is None or ends is None or ends >= starts
