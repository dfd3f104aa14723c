"""Emulate the Plant.id v2 API locally (in the spirit of stripe-mock) for tests and sandbox.

Same URLs under `/v2`, the three ways of authenticating, the documented validation, status
codes, plain-text error bodies and response shapes. Choices the reference leaves open live in
`sandbox.plantid.assumptions`.

Public API:

* `create_app(config: EmulatorConfig | None = None) -> Starlette`: the ASGI app; use it
  in-process with `httpx.ASGITransport(app=app)` (base URL e.g. `http://plantid.test/v2`) or
  serve it with `sandbox.server.serve_on_loopback(app)`.
* `emulator_of(app) -> Emulator` (also `app.state.emulator`): the state, for tests:
  `journal` (list of `JournalEntry`: endpoint, method, path, headers with credentials
  replaced by `***`, json body or None, status), `requests_to(endpoint_name)`,
  `inject_fault(endpoint_name, kind, count=1, *, status=503, seconds=1.0)` with kind
  `"error"` (answer `status`), `"slow"` (answer after `seconds`), `"drop"` (close the
  connection without an answer; in-process raise `httpx.RemoteProtocolError`), or, after
  processing the request, `"lose_answer"` (then drop) and `"slow_answer"` (then wait
  `seconds`), or `"hold"` (answer once `release_held()` is called, at most after `seconds`);
  `"*"` matches
  every endpoint; `reset()`; `complete(identification_id)`; `complete_all()`;
  `script_next(ScriptedOutcome(...), ...)`; `garble(identification_id, edit)` (every answer
  showing it becomes `edit(answer)`, NaN and lone surrogates included, as a sloppy server
  would send them); `identifications` (dict by id); `callbacks`
  (list of `CallbackDelivery`); `usage_info(api_key)`; `aclose()` (closes the callback client).
* Control (thread-safe; for tests and the sandbox panel): `pending() ->
  list[PendingIdentification]` (id, custom_id, endpoint, uploaded_datetime, finishes_in,
  has_callback), `delay` / `set_delay(seconds | None)` (pending ones included),
  standing switches `set_outage(on=True)` (503 everywhere), `set_slow(seconds | None)`,
  `set_out_of_credits(on=True)` (429), `set_key_refused(on=True)` (401), read back as
  `switches -> Switches`; `credits_left(api_key) -> int | None`; `fail_randomly(probability,
  kinds=("5xx", "timeout", "lose_answer"), *, seed=None, timeout_seconds=30.0)` until
  `fail_randomly(0)`, read back as `random_faults`; journal entries carry `fault` (what
  misbehaved on purpose); `catalogue` (the loaded `Catalogue`).
* `EmulatorConfig(api_keys={"sandbox-key": ApiKeyConfig()}, delay=2.0, public_url=None,
  max_custom_id=2**63 - 1, callback_transport=None, catalogue=None)`; `delay=None` keeps
  identifications pending until `complete()`; `delay=0` completes them at once; `catalogue`
  None loads `sandbox/plantid/data/*.json` (`load_catalogue()`) when the emulator is made.
* `ApiKeyConfig(active=True, daily_limit=None, weekly_limit=None, monthly_limit=None,
  total_limit=None, is_closed=False, charges=[])`.
* `ScriptedOutcome(suggestions=[("Bellis perennis", 0.9), ...], is_plant_probability=None,
  fail_cause=None, is_healthy_probability=None, diseases=[("powdery mildew", 0.8), ...])`.

Endpoint names (journal, faults) are the route names of `api_routes()`: identify,
enqueue_identification, health_assessment, get_identification_result,
get_identification_result_by_custom_id,
get_identification_result_multiple, confirm_suggestion, unconfirm_suggestion,
delete_identification, delete_identification_by_custom_id, usage_info, media, unknown.

Command line: `python -m sandbox.plantid --host 127.0.0.1 --port PORT --api-key KEY
[--delay SECONDS]`.
"""

from sandbox.plantid.app import api_routes, create_app, emulator_of, endpoint_name
from sandbox.plantid.catalogue import Catalogue, load_catalogue
from sandbox.plantid.config import ApiKeyConfig, Charge, EmulatorConfig, ScriptedOutcome
from sandbox.plantid.emulator import (
    Emulator,
    FaultKind,
    PendingIdentification,
    RandomFaultKind,
    RandomFaults,
    Switches,
)
from sandbox.plantid.models import CallbackDelivery, Identification, JournalEntry

__all__ = [
    "ApiKeyConfig",
    "CallbackDelivery",
    "Catalogue",
    "Charge",
    "Emulator",
    "EmulatorConfig",
    "FaultKind",
    "Identification",
    "JournalEntry",
    "PendingIdentification",
    "RandomFaultKind",
    "RandomFaults",
    "ScriptedOutcome",
    "Switches",
    "api_routes",
    "create_app",
    "emulator_of",
    "endpoint_name",
    "load_catalogue",
]
