"""ONEWEB starts a process by its name as people write it, and names a snapshot as a
string (issue 24), checked against ONEWEB's own documents:

* the method reference, "Start Flow (New)" and "Start Flow (Old)"
  (https://docs.onewebstack.com/api-reference/process-runtime-api/method-reference and
  its Thai mirror https://docs.oneweb.tech/oneweb/th/api/process-runtime-api/method-rest-api-api):
  ``processName`` is "[String: Process name]", ``uniqueId`` "[String: Process ID]",
  ``snapVersion`` "[String: Snap version]";
* the sample custom application (https://oneweb.tech/api/65623CustomAPP.html, and
  docs.oneweb.tech's "Sample use cases for Process API"): it starts its "Booking Room"
  process with ``service/runtime/process/booking room/start``, sending the business
  objects ``RoomObject`` and ``CustomerInfo``.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Stack
from tests.support.http import deploy
from tests.test_oneweb_api import RT, ok, refused


def booking(process_id: str, name: str, task: str = "Choose room") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="t">
  <bpmn:process id="{process_id}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="choose" name="{task}" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="choose" />
    <bpmn:sequenceFlow id="f2" sourceRef="choose" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
""".encode()


async def deployed(stack: Stack, process_id: str, name: str, task: str = "Choose room") -> None:
    answer = await deploy(stack.http, (f"{process_id}.bpmn", booking(process_id, name, task)))
    assert answer.status_code == 201, answer.text


async def instance(stack: Stack, instance_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (
        await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")
    ).json()
    return found


async def variables(stack: Stack, instance_id: str) -> dict[str, Any]:
    answer = await stack.http.get(f"/v1/bpms/process-instances/{instance_id}/variables")
    found: dict[str, Any] = answer.json()["processData"]
    return found


SAMPLE_OBJECTS = {
    "RoomObject": {"roomNo": "R-101", "status": "free"},
    "CustomerInfo": {"firstName": "Somchai", "lastName": "Jaidee"},
}


async def test_the_sample_application_starts_booking_room_by_its_name(stack: Stack) -> None:
    """The sample custom app's first step, ``POST service/runtime/process/booking
    room/start`` with RoomObject and CustomerInfo (oneweb.tech/api/65623CustomAPP.html):
    "booking room" is the diagram's name written in lower case, never a BPMN process id
    (an XML NCName has no space). Before issue 24 this was 404."""
    await deployed(stack, "Process_BookingRoom", "Booking Room")
    legacy = ok(await stack.http.post(f"{RT}/process/booking room/start", json=SAMPLE_OBJECTS))
    started = await instance(stack, legacy)
    assert started["processDefinitionKey"] == "Process_BookingRoom"
    assert await variables(stack, legacy) == SAMPLE_OBJECTS

    # the recommended start, with processName "[String: Process name]" (method reference)
    for name in ("Booking Room", "booking room", "BOOKING ROOM"):
        body = {"processName": name, "appName": "BookingApp", "object": SAMPLE_OBJECTS}
        started_id = ok(await stack.http.post(f"{RT}/process/start", json=body))
        assert (await instance(stack, started_id))["processDefinitionKey"] == "Process_BookingRoom"
    # the BPMN process id keeps working, and comes first
    by_id = {"processName": "Process_BookingRoom", "object": {}}
    assert ok(await stack.http.post(f"{RT}/process/start", json=by_id))
    missing = refused(
        await stack.http.post(f"{RT}/process/start", json={"processName": "booking hall"}), 404
    )
    assert missing["field"] == "processName" and "booking hall" in missing["message"]


async def test_an_ambiguous_name_is_409_unless_unique_id_picks_one(stack: Stack) -> None:
    """Two processes (different BPMN ids) both named "Booking Room": the name alone
    cannot say which to start, so ONEWEB's envelope answers 409 naming both. ``uniqueId``
    is the "[String: Process ID]" of the method reference, so it picks one of them. An
    exact match is preferred to a case-insensitive one."""
    await deployed(stack, "booking-hotel", "Booking Room")
    await deployed(stack, "booking-office", "Booking Room")
    await deployed(stack, "booking-lower", "booking room")
    body = {"processName": "Booking Room", "appName": "BookingApp", "object": {}}
    clash = refused(await stack.http.post(f"{RT}/process/start", json=body), 409)
    assert clash["reason"] == "AmbiguousProcessName" and clash["field"] == "processName"
    assert clash["processIds"] == ["booking-hotel", "booking-office"]
    assert "booking-hotel" in clash["message"] and "booking-office" in clash["message"]
    legacy = await stack.http.post(f"{RT}/process/Booking Room/start", json={})
    refused(legacy, 409)

    picked = ok(
        await stack.http.post(f"{RT}/process/start", json={**body, "uniqueId": "booking-office"})
    )
    assert (await instance(stack, picked))["processDefinitionKey"] == "booking-office"
    # "booking room" matches one name exactly: that one, not the case-insensitive three
    exact = ok(await stack.http.post(f"{RT}/process/start", json={"processName": "booking room"}))
    assert (await instance(stack, exact))["processDefinitionKey"] == "booking-lower"
    # and a case-insensitive name shared by three processes is ambiguous too
    folded = {"processName": "BOOKING ROOM"}
    assert (
        len(refused(await stack.http.post(f"{RT}/process/start", json=folded), 409)["processIds"])
        == 3
    )


async def test_snap_version_strings_name_definition_versions(stack: Stack) -> None:
    """``snapVersion`` is "[String: Snap version]" (method reference; a snapshot of the
    ONEWEB application such as "1.0"). The documented rule: the number before the first
    dot is the definition version; absent, empty or "latest" is the latest; anything else
    is 400 naming the field. Before issue 24 "1.0" was refused as not a number."""
    await deployed(stack, "booking", "Booking Room", task="Choose room")
    await deployed(stack, "booking", "Booking Room", task="Choose a room")  # version 2

    async def version_of(**body: Any) -> int:
        answer = await stack.http.post(
            f"{RT}/process/start", json={"processName": "Booking Room", **body}
        )
        return int((await instance(stack, ok(answer)))["version"])

    assert await version_of(snapVersion="1.0") == 1
    assert await version_of(snapVersion="1") == 1
    assert await version_of(snapVersion="2.0.1") == 2
    assert await version_of(snapVersion="v2") == 2
    assert await version_of(snapVersion=1) == 1  # a number where a string is documented
    assert await version_of(snapVersion="latest") == 2
    assert await version_of(snapVersion="") == 2
    assert await version_of() == 2
    for bad in ("1.x", "snapshot-1", "0", "1..0", "-1"):
        answer = await stack.http.post(
            f"{RT}/process/start", json={"processName": "booking", "snapVersion": bad}
        )
        body = refused(answer, 400)
        assert body["field"] == "snapVersion" and "snapVersion" in body["message"], bad
    gone = await stack.http.post(
        f"{RT}/process/start", json={"processName": "Booking Room", "snapVersion": "3.0"}
    )
    assert "version 3" in refused(gone, 404)["message"]
