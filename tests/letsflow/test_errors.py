"""Bad scenarios fail with a ScenarioError that names the path of the problem."""

from __future__ import annotations

from typing import Any

import pytest

from letsflow import ScenarioError, load_yaml, normalize

GO = {"initial": {"on": "go", "goto": "(done)"}}


def _error(scenario: Any) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        normalize(scenario)
    return err.value


@pytest.mark.parametrize(
    ("scenario", "pointer", "message"),
    [
        pytest.param([], "", "a scenario is a mapping", id="not-a-mapping"),
        pytest.param({"title": "x"}, "/states", "needs states", id="missing-states"),
        pytest.param({"states": None}, "/states", "needs states", id="null-states"),
        pytest.param({"states": ["initial"]}, "/states", "expected a mapping", id="states-list"),
        pytest.param(
            {"states": {"start": {"on": "go", "goto": "(done)"}}},
            "/states",
            "'initial'",
            id="missing-initial",
        ),
        pytest.param(
            {"$schema": "https://specs.letsflow.io/v0.2.0/scenario/schema.json#", "states": GO},
            "/$schema",
            "unsupported schema",
            id="old-schema",
        ),
        pytest.param(
            {"name": "q", "states": GO}, "/version", "needs a version", id="name-without-version"
        ),
        pytest.param(
            {"version": 1.0, "states": GO}, "/version", "expected a string", id="version-number"
        ),
        pytest.param({"tags": "a", "states": GO}, "/tags", "list of strings", id="tags"),
        # goto
        pytest.param(
            {"states": {"initial": {"on": "go", "goto": 42}}},
            "/states/initial/goto",
            "goto is a state key or null, not int",
            id="goto-number",
        ),
        pytest.param(
            {"states": {"initial": {"transitions": [{"on": "go", "goto": {"x": 1}}]}}},
            "/states/initial/transitions/0/goto",
            "goto is a state key or null, not dict",
            id="goto-mapping",
        ),
        pytest.param(
            {"states": {"initial": {"on": "go", "goto": "nowhere"}}},
            "/states/initial/goto",
            "'nowhere' is not a state",
            id="goto-unknown-state",
        ),
        pytest.param(
            {"states": {"initial": {"on": "go"}}},
            "/states/initial/goto",
            "needs 'goto'",
            id="on-without-goto",
        ),
        pytest.param(
            {"states": {"initial": {"goto": "(done)"}}},
            "/states/initial/goto",
            "'goto' without 'on' or 'after'",
            id="goto-alone",
        ),
        # after
        pytest.param(
            {"states": {"initial": {"after": "5 fortnights", "goto": "(done)"}}},
            "/states/initial/after",
            "invalid time period unit 'fortnights'",
            id="after-unit",
        ),
        pytest.param(
            {"states": {"initial": {"after": "soon", "goto": "(done)"}}},
            "/states/initial/after",
            "invalid time period",
            id="after-text",
        ),
        pytest.param(
            {"states": {"initial": {"transitions": [{"after": -3, "goto": "(done)"}]}}},
            "/states/initial/transitions/0/after",
            "cannot be negative",
            id="after-negative",
        ),
        pytest.param(
            {"states": {"initial": {"transitions": [{"after": 1.5, "goto": "(done)"}]}}},
            "/states/initial/transitions/0/after",
            "time period",
            id="after-fraction",
        ),
        pytest.param(
            {"states": {"initial": {"after": True, "goto": "(done)"}}},
            "/states/initial/after",
            "time period",
            id="after-bool",
        ),
        pytest.param(
            {"states": {"initial": {"after": "1h", "by": "x", "goto": "(done)"}}},
            "/states/initial/by",
            "a timeout has no 'by'",
            id="after-with-by",
        ),
        pytest.param(
            {
                "states": {
                    "initial": {
                        "on": "a",
                        "goto": None,
                        "notify": {"service": "s", "after": "1 month"},
                    }
                }
            },
            "/states/initial/notify/after",
            "invalid time period unit 'month'",
            id="notify-after",
        ),
        # update
        pytest.param(
            {"actions": {"go": {"update": "current.response"}}, "states": GO},
            "/actions/go/update",
            "cannot set 'current.response'",
            id="set-response",
        ),
        pytest.param(
            {"actions": {"go": {"update": [{"set": "vars.a"}, {"set": "foo.bar"}]}}, "states": GO},
            "/actions/go/update/1/set",
            "cannot set 'foo.bar'",
            id="set-in-list",
        ),
        pytest.param(
            {"actions": {"go": {"update": {"set": "variables"}}}, "states": GO},
            "/actions/go/update/set",
            "cannot set 'variables'",
            id="set-variables",
        ),
        pytest.param(
            {"actions": {"go": {"update": {"value": 1}}}, "states": GO},
            "/actions/go/update/set",
            "needs 'set'",
            id="set-missing",
        ),
        pytest.param(
            {"actions": {"go": {"update": {"set": "vars.x", "mode": "patch"}}}, "states": GO},
            "/actions/go/update/mode",
            "mode 'patch'",
            id="update-mode",
        ),
        # other shapes
        pytest.param(
            {"actions": {"go": {"actor": 3}}, "states": GO},
            "/actions/go/actor",
            "actor",
            id="actor-number",
        ),
        pytest.param(
            {"actions": {"go": {"if": "yes"}}, "states": GO},
            "/actions/go/if",
            "true, false or a data function",
            id="if-string",
        ),
        pytest.param(
            {"states": {"initial": {"on": "go", "goto": None, "transitions": []}}},
            "/states/initial",
            "only one of",
            id="simple-and-full-form",
        ),
        pytest.param(
            {"states": {"initial": {"transitions": [{"on": "a", "after": 5, "goto": None}]}}},
            "/states/initial/transitions/0",
            "either 'on' or 'after'",
            id="on-and-after",
        ),
        pytest.param(
            {"states": {"initial": {"on": None, "by": "x", "goto": None}}},
            "/states/initial/by",
            "a null action has no 'by'",
            id="null-action-by",
        ),
        pytest.param(
            {"states": {"initial": {"title": "x"}}},
            "/states/initial",
            "needs 'on', 'after' or 'transitions'",
            id="state-without-transition",
        ),
        pytest.param(
            {"states": {**GO, "(done)": {"on": "x", "goto": "initial"}}},
            "/states/(done)/on",
            "an end state cannot have 'on'",
            id="end-state-with-transition",
        ),
        pytest.param(
            {"states": {"initial": {"on": "a", "goto": None, "notify": [{"after": 5}]}}},
            "/states/initial/notify/0/service",
            "needs a service",
            id="notify-without-service",
        ),
        pytest.param(
            {"vars": {"x": 5}, "states": GO},
            "/vars/x",
            "schema",
            id="var-number",
        ),
        pytest.param(
            {"actors": {"a": {"properties": {"x": 5}}}, "states": GO},
            "/actors/a/properties/x",
            "schema",
            id="actor-property-number",
        ),
    ],
)
def test_bad_scenarios(scenario: Any, pointer: str, message: str) -> None:
    err = _error(scenario)
    assert err.pointer == pointer
    assert message in err.message
    assert str(err).startswith(f"{pointer or '/'}: ")


@pytest.mark.parametrize(
    "target",
    [
        "title",
        "previous",
        "vars",
        "vars.x.y",
        "actors",
        "actors.client",
        "result",
        "current.actor",
        "current.actor.name",
    ],
)
def test_settable_paths(target: str) -> None:
    normalized = normalize({"actions": {"go": {"update": target}}, "states": GO})
    assert normalized["actions"]["go"]["update"][0]["set"] == target


def test_a_data_function_may_compute_the_path() -> None:
    update = {"set": {"<ref>": "'vars.' + current.response.key"}}
    normalize({"actions": {"go": {"update": update}}, "states": GO})


def test_error_carries_structured_fields() -> None:
    err = _error({"states": {"initial": {"transitions": [{"on": "go", "goto": 42}]}}})
    assert err.path == ("states", "initial", "transitions", 0, "goto")
    assert err.to_dict() == {"message": err.message, "path": "/states/initial/transitions/0/goto"}
    assert isinstance(err, ValueError)


def test_pointer_escapes_slashes_and_tildes() -> None:
    err = _error({"actions": {"a/b~c": {"if": 1}}, "states": GO})
    assert err.pointer == "/actions/a~1b~0c/if"


def test_yaml_errors_have_a_line() -> None:
    with pytest.raises(ScenarioError) as err:
        load_yaml("states:\n  initial:\n    on: go\n    on: again\n")
    assert (err.value.line, err.value.column) == (4, 5)
    assert err.value.to_dict()["line"] == 4
