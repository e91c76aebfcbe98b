"""Privileges: what a caller may do, granted to roles by configuration.

Routes never test roles. Each route declares one privilege (``api.auth.Requires``); a
principal holds the union of the privileges its roles map to (``Settings.role_privileges``)
plus those of the ``"*"`` entry, which every authenticated caller gets. This is the
shape LetsFlow's ``auth.roles`` uses, so one map configures both API families, and a
Keycloak realm only has to carry role names (deploy/keycloak/baton-realm.json).

A held privilege may end in ``:*`` to cover a family (``bpms:*`` covers
``bpms:task:complete``); a bare ``*`` covers everything, including ``admin``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: Every privilege a route can require, with what it lets a caller do. The OpenAPI
#: document names the privilege of each operation; tests check this list is complete.
CATALOGUE: dict[str, str] = {
    "admin": "Read the audit log; with `*`, everything.",
    "deploy": "Deploy BPMN diagrams (new process definition versions).",
    "bpms:deployment:read": "Read deployments and process definitions.",
    "bpms:process:start": "Start process instances.",
    "bpms:process:read": "Read process instances, their variables and history.",
    "bpms:process:write": "Change an instance's variables and business data.",
    "bpms:process:modify": "Cancel instances (and, later, move their tokens).",
    "bpms:task:read": "Read user tasks.",
    "bpms:task:complete": "Claim, unclaim and complete user tasks the caller may work on.",
    "bpms:task:assign": "Act on any user task whoever holds it: assign, unclaim, suspend, cancel.",
    "bpms:decision:evaluate": "Evaluate deployed DMN decisions over REST.",
    "bpms:incident:read": "Read incidents.",
    "bpms:incident:retry": "Retry or resolve incidents.",
    "oneweb:impersonate": "Act for another user through ONEWEB's user= parameter.",
    "bpms:service-task:work": "Fetch, lock and complete external service tasks (workers).",
    "events:publish": "Correlate messages and broadcast signals.",
    "cases:read": "Read cases and their status history.",
    "cases:write": "Create cases and change their status.",
    "documents:read": "List templates, read document status and download documents.",
    "documents:generate": "Generate documents from templates.",
    "documents:templates": "Register document templates.",
    "datamodel:read": "Read application data models and instance data by path.",
    "datamodel:write": "Register application data models.",
    "config:read": "Read application configuration.",
    "scenario:read": "Read LetsFlow scenarios.",
    "scenario:write": "Store and disable LetsFlow scenarios.",
    "process:read": "Read LetsFlow processes the caller takes part in.",
    "process:start": "Start LetsFlow processes.",
    "process:step": "Step LetsFlow processes.",
    "process:super": "See and step every LetsFlow process.",
    "apikey:issue": "Issue API keys and list them.",
    "apikey:revoke": "Revoke API keys.",
    "metrics:read": "Scrape /metrics (Prometheus).",
}

#: The default map. Least privilege: a plain user starts work and does their tasks;
#: everything else comes from a role that names it.
DEFAULT_ROLE_PRIVILEGES: dict[str, list[str]] = {
    "*": [
        "bpms:deployment:read",
        "bpms:process:start",
        "bpms:process:read",
        "bpms:process:write",
        "bpms:decision:evaluate",
        "bpms:task:read",
        "bpms:task:complete",
        "cases:read",
        "documents:read",
        "datamodel:read",
        "process:read",
        "process:start",
        "process:step",
    ],
    "admin": ["*"],
    "bpms-operator": ["bpms:*", "events:publish", "metrics:read"],
    "bpms-deployer": ["deploy", "bpms:deployment:read"],
    "bpms-worker": ["bpms:service-task:work", "bpms:incident:read"],
    "integration": [
        "bpms:process:start",
        "bpms:decision:evaluate",
        "events:publish",
        "cases:write",
        "documents:generate",
        "config:read",
    ],
    "platform-admin": ["documents:templates", "datamodel:write", "config:read", "cases:write"],
    "scenario-author": ["scenario:*"],
    "apikey-manager": ["apikey:*"],
}


def grants(held: str, required: str) -> bool:
    """Whether one held privilege (maybe a wildcard) covers the required one."""
    if held in ("*", required):
        return True
    return held.endswith(":*") and required.startswith(held[:-1])


def holds(privileges: Iterable[str], required: str) -> bool:
    return any(grants(p, required) for p in privileges)


def for_roles(roles: Iterable[str], role_map: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The privileges of a caller with these roles: each role's entry plus ``"*"``'s.
    Roles the map does not name grant nothing (they still work as candidate groups)."""
    held: set[str] = set(role_map.get("*", ()))
    for role in roles:
        held.update(role_map.get(role, ()))
    return frozenset(held)


def unknown(privileges: Iterable[str]) -> list[str]:
    """Entries that are neither a catalogued privilege nor a wildcard covering one."""
    return [p for p in privileges if p != "*" and not any(grants(p, known) for known in CATALOGUE)]
