"""The role -> privilege map: wildcards, the "*" role, and configuration checked at start."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.privileges import CATALOGUE, DEFAULT_ROLE_PRIVILEGES, for_roles, grants, holds, unknown
from core.settings import Settings


def test_wildcards_cover_their_family_only() -> None:
    assert grants("*", "admin")
    assert grants("bpms:*", "bpms:task:complete")
    assert grants("bpms:task:*", "bpms:task:complete")
    assert not grants("bpms:*", "deploy")
    assert not grants("bpms:task:*", "bpms:taskx:read")
    assert not grants("bpms", "bpms:task:read")
    assert not grants("bpms:task:read", "bpms:task:complete")
    assert not holds(["bpms:*", "events:publish"], "admin")  # only "*" or "admin" is admin


def test_privileges_are_the_union_of_roles_and_the_star_entry() -> None:
    role_map = {"*": ["process:start"], "ops": ["bpms:incident:retry"]}
    assert for_roles(["ops", "unmapped"], role_map) == {"process:start", "bpms:incident:retry"}
    assert for_roles([], role_map) == {"process:start"}
    plain = for_roles(["accounting"], DEFAULT_ROLE_PRIVILEGES)
    assert holds(plain, "bpms:task:complete") and not holds(plain, "deploy")
    assert not holds(plain, "bpms:incident:retry") and not holds(plain, "admin")
    assert holds(for_roles(["admin"], DEFAULT_ROLE_PRIVILEGES), "admin")


def test_the_default_map_uses_only_catalogued_privileges() -> None:
    for privileges in DEFAULT_ROLE_PRIVILEGES.values():
        assert unknown(privileges) == []
    assert unknown(["scenario:*", "*", "bpms:nothing", "nope:*"]) == ["bpms:nothing", "nope:*"]
    assert len(CATALOGUE) >= 20


def test_a_misspelt_privilege_in_configuration_stops_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATON_ROLE_PRIVILEGES", '{"ops": ["bpms:incidnet:retry"]}')
    with pytest.raises(ValidationError, match="bpms:incidnet:retry"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("BATON_ROLE_PRIVILEGES", '{"ops": ["bpms:incident:retry"]}')
    assert Settings(_env_file=None).role_privileges == {"ops": ["bpms:incident:retry"]}  # type: ignore[call-arg]
    monkeypatch.setenv("BATON_ENV", "staging")
    with pytest.raises(ValidationError, match="env"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_security_page_lists_every_privilege_and_role() -> None:
    page = (Path(__file__).parent.parent / "docs" / "security.md").read_text()
    for privilege in CATALOGUE:
        assert f"`{privilege}`" in page, privilege
    for role, privileges in DEFAULT_ROLE_PRIVILEGES.items():
        roles_table = page.split("| role | privileges |", 1)[1]
        row = next(line for line in roles_table.splitlines() if line.startswith(f"| `{role}`"))
        assert all(f"`{p}`" in row for p in privileges), role
