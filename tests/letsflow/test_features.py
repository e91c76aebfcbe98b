"""The LetsFlow scenario features (``@letsflow/testing``), ported to plain pytest.

``quote-01-request.feature`` and ``meeting-02-conditions.feature`` from the shared
corpus, step for step; the Gherkin is quoted above each test.
"""

from __future__ import annotations

import pytest

from tests.letsflow.corpus import needs_corpus
from tests.letsflow.engine import World

pytestmark = needs_corpus


# Feature: The customer fills out the form to request a quote
#   Background:
#     Given the process is created from the "quote" scenario
#     And "Alice" is the "customer" actor
#     And "Bob" is the "sales" actor
@pytest.fixture
def quote() -> World:
    world = World("quote")
    world.is_the("Alice", "customer")
    world.is_the("Bob", "sales")
    return world


def test_customer_fills_out_all_fields_correctly(quote: World) -> None:
    quote.does(
        "Alice",
        "request",
        {
            "company": "Acme Inc",
            "contact": "Alice",
            "email": "alice@example.com",
            "address": "123 Main St",
            "requirements": "The product should be able to do X, Y and Z",
        },
    )
    # Then the last event is not skipped
    assert not quote.last["skipped"], quote.last.get("errors")
    customer = quote.process["actors"]["customer"]
    assert customer["company"] == "Acme Inc"
    assert customer["contact"] == "Alice"
    assert customer["email"] == "alice@example.com"
    assert customer["address"] == "123 Main St"
    assert quote.state == "requested"


def test_customer_does_not_fill_out_the_email_address_and_requirements(quote: World) -> None:
    quote.does("Alice", "request", {"company": "Acme Inc"})
    assert quote.last["skipped"]
    assert "Response is invalid: data must have required property 'email'" in quote.last["errors"]
    assert (
        "Response is invalid: data must have required property 'requirements'"
        in quote.last["errors"]
    )
    assert quote.state == "initial"


# Feature: People are not committing to the social norms
#   Background:
#     Given the process is created from the "meeting" scenario
#     And "Bob" is the "person_1" actor
#     And "Eve" is the "person_2" actor
#     And "Jack" is the "person_3" actor
#     When the "default" service does "start" with:
#       person_1: ~
#       person_2: ~
#       person_3: ~
#     Then the process is in "introductions"
#     And the process has actor "person_1" (and "person_2", "person_3")
@pytest.fixture
def meeting() -> World:
    world = World("meeting")
    world.is_the("Bob", "person_1")
    world.is_the("Eve", "person_2")
    world.is_the("Jack", "person_3")
    world.service_does("default", "start", {"person_1": None, "person_2": None, "person_3": None})
    assert not world.last["skipped"], world.last.get("errors")
    assert world.state == "introductions"
    assert {"person_1", "person_2", "person_3"} <= set(world.process["actors"])
    return world


def test_meeting_background_creates_the_actors_from_the_wildcard(meeting: World) -> None:
    assert meeting.process["actors"]["person_2"] == {"title": "person 2", "is_present": True}


def test_person_introduces_himself_and_starts_to_talk(meeting: World) -> None:
    meeting.does("Bob", "introduce", {"name": "Bob", "organization": "Jasny"})
    assert not meeting.last["skipped"], meeting.last.get("errors")
    meeting.does("Bob", "talk", "What do you think about the weather?")
    assert meeting.last["skipped"]
    assert "Action 'talk' is not allowed due to if condition" in meeting.last["errors"]


def test_person_starts_talking_without_introducing_himself(meeting: World) -> None:
    meeting.does("Bob", "introduce", {"name": "Bob", "organization": "Jasny"})
    meeting.does("Eve", "introduce", {"name": "Eve", "organization": "Acme Inc"})
    meeting.does("Jack", "talk", "I like blockchain!")
    assert meeting.last["skipped"]
    assert meeting.last["errors"] == [
        "No transition found for action 'talk' in state 'introductions' for actor 'person_3'"
    ]


def test_person_does_an_introduction_twice(meeting: World) -> None:
    meeting.does("Bob", "introduce", {"name": "Bob", "organization": "Jasny"})
    meeting.does("Bob", "introduce", {"name": "Bob Builder", "organization": "Jasny"})
    assert meeting.last["skipped"]
    assert meeting.last["errors"] == ["Action 'introduce' is not allowed due to if condition"]
    assert meeting.process["actors"]["person_1"]["name"] == "Bob"


def test_person_tries_to_talk_twice(meeting: World) -> None:
    meeting.does("Bob", "introduce", {"name": "Bob", "organization": "Jasny"})
    meeting.does("Eve", "introduce", {"name": "Eve", "organization": "Acme Inc"})
    meeting.does("Jack", "introduce", {"name": "Jack", "organization": "LTO Network"})
    meeting.does("Bob", "talk", "What do you think about the weather?")
    assert not meeting.last["skipped"], meeting.last.get("errors")
    assert meeting.state == "talking"
    assert meeting.process["result"] == ["Bob - What do you think about the weather?"]
    meeting.does("Bob", "talk", "I like it")
    assert meeting.last["skipped"]
    assert meeting.state == "talking"


def test_quote_request_without_the_optional_fields_fails_the_actor_schema(quote: World) -> None:
    # the update copies contact and address as null, which the customer schema refuses;
    # LetsFlow does the same (its JMESPath also yields null for a missing field)
    quote.does(
        "Alice", "request", {"company": "Acme", "email": "a@example.com", "requirements": "X"}
    )
    assert quote.last["errors"] == [
        "Actor 'customer' is invalid: data/address must be string, data/contact must be string"
    ]
    assert quote.state == "initial"
