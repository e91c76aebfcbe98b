"""Schemathesis hooks for tests/test_schemathesis.py and docs/testing.md
(``SCHEMATHESIS_HOOKS=tests.support.schemathesis_hooks``).

* ``no_server_error``: any 5xx fails, except the one documented 5xx a healthy server
  gives -- ``501`` for a PDF when LibreOffice is not installed (docs/documents.md). A
  503 fails too: Temporal and the database are up for the whole run.
* fetch-and-lock's long poll is capped at 1 s: a generated ``asyncResponseTimeout`` of
  up to 60 s with no task to fetch would spend the run waiting, and long polling has its
  own tests (tests/test_service_tasks_api.py).
"""

from __future__ import annotations

from typing import Any

import schemathesis

LONG_POLLS = ("/v1/bpms/service-tasks/fetch-and-lock", "/engine-rest/external-task/fetchAndLock")


def _documented(case: Any, response: Any) -> bool:
    if response.status_code != 501 or case.path != "/v1/documents":
        return False
    return "LibreOffice" in response.text


@schemathesis.check
def no_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 5xx is a Baton bug (api/problems.py), unless it is documented above."""
    if response.status_code >= 500 and not _documented(case, response):
        raise AssertionError(
            f"server error {response.status_code} on {case.method} {case.path}: "
            f"{response.text[:300]}"
        )
    return None


@schemathesis.hook
def map_case(ctx: Any, case: Any) -> Any:
    body = case.body
    if case.path in LONG_POLLS and isinstance(body, dict):
        timeout = body.get("asyncResponseTimeout")
        if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 1000:
            body["asyncResponseTimeout"] = 1000
    return case
