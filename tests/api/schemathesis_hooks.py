"""Two facts about the Box Office API that a JSON Schema cannot state, given to schemathesis.

tests/api/contract.rs loads this file (SCHEMATHESIS_HOOKS) for its run. Each hook changes a
request only where the schema cannot say what a real client does; the value it sends still
matches the schema.
"""

import os
import threading
import uuid

import schemathesis

LOGOUT = "DELETE /api/v1/sessions/current"

_lock = threading.Lock()
_spare_sessions = []


def _load_spare_sessions():
    path = os.environ.get("BOXOFFICE_ST_SPARE_SESSIONS")
    if path:
        with open(path, encoding="utf-8") as f:
            _spare_sessions.extend(line.strip() for line in f if line.strip())


_load_spare_sessions()


def _header(headers, name):
    """The key under which `headers` holds `name`, whatever its case."""
    for key in headers:
        if key.lower() == name.lower():
            return key
    return None


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers
    if headers is None:
        return
    # An Idempotency-Key names one request: a client sends a new key with each new request and
    # the same key only when it retries. Drawn keys repeat ("0", "0", ...) across different
    # requests, which the server rightly refuses (422). So a schema-valid key becomes a fresh
    # one; a key a negative case made invalid on purpose is left as it is.
    key = _header(headers, "Idempotency-Key")
    meta = case.meta
    positive = meta is not None and meta.generation.mode.is_positive
    if key is not None and positive:
        headers[key] = str(uuid.uuid4())
    # Logging out ends the session it is sent with. Each logout the run sends carries a session
    # of its own (made by the test for a user of its own), so the identities the run tests
    # with stay logged in.
    if case.operation.label == LOGOUT:
        auth = _header(headers, "Authorization")
        if auth is not None and headers[auth].lower().startswith("bearer "):
            with _lock:
                token = _spare_sessions.pop() if _spare_sessions else None
            if token is not None:
                headers[auth] = f"Bearer {token}"
