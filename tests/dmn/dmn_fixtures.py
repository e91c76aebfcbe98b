"""Small DMN documents for the unit tests, built from parts so each test shows only
what it is about."""

from __future__ import annotations

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN11 = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"


def definitions(body: str, *, ns: str = DMN13, extra: str = "") -> str:
    return (
        f'<definitions xmlns="{ns}" xmlns:camunda="http://camunda.org/schema/1.0/dmn" '
        f'id="defs" name="Tests" namespace="http://baton.test/dmn"{extra}>\n{body}\n'
        "</definitions>"
    )


def table(
    policy: str,
    rules: list[tuple[str, ...]],
    *,
    inputs: tuple[str, ...] = ("x",),
    outputs: tuple[str, ...] = ("out",),
    output_values: str | None = None,
    aggregation: str | None = None,
    type_ref: str = "number",
    default: str | None = None,
) -> str:
    """A decision 'd' with a table: each rule gives the input cells then the output cells."""
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    ins = "".join(
        f'<input id="in{i}"><inputExpression typeRef="number"><text>{e}</text>'
        "</inputExpression></input>"
        for i, e in enumerate(inputs)
    )
    values = f"<outputValues><text>{output_values}</text></outputValues>" if output_values else ""
    dflt = f"<defaultOutputEntry><text>{default}</text></defaultOutputEntry>" if default else ""
    outs = "".join(
        f'<output id="out{i}" name="{o}" typeRef="{type_ref}">{values}{dflt}</output>'
        for i, o in enumerate(outputs)
    )
    body = ""
    for n, rule in enumerate(rules, start=1):
        cells = "".join(f"<inputEntry><text>{c}</text></inputEntry>" for c in rule[: len(inputs)])
        cells += "".join(
            f"<outputEntry><text>{c}</text></outputEntry>" for c in rule[len(inputs) :]
        )
        body += f'<rule id="r{n}">{cells}</rule>'
    return definitions(
        f'<decision id="d" name="d"><decisionTable id="t" hitPolicy="{policy}"{agg}>'
        f"{ins}{outs}{body}</decisionTable></decision>"
    )
