"""Named diagrams that several interpreter and replay tests run, written with the shared
builder (``tests.support.bpmn``)."""

from __future__ import annotations

from tests.support.bpmn import NAMESPACES, diagram, flows


def uncaught_throws() -> tuple[str, bytes]:
    """An escalation and an error end event that nothing catches (act as none events)."""
    return diagram(
        "uncaught",
        '<bpmn:startEvent id="s"/><bpmn:intermediateThrowEvent id="escalate">'
        '<bpmn:escalationEventDefinition escalationRef="esc"/></bpmn:intermediateThrowEvent>'
        '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
        + flows("s>escalate", "escalate>fail"),
        top='<bpmn:error id="err" errorCode="BOOM"/>'
        '<bpmn:escalation id="esc" escalationCode="LATE"/>',
    )


def esp_rethrow() -> tuple[str, bytes]:
    """An error event sub-process that throws the error again: its host's boundary
    event catches it (the sub-process must not catch its own throw)."""
    return diagram(
        "rethrow",
        '<bpmn:startEvent id="s"/><bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/>'
        '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
        '<bpmn:subProcess id="handler" triggeredByEvent="true"><bpmn:startEvent id="hs">'
        '<bpmn:errorEventDefinition errorRef="err"/></bpmn:startEvent>'
        '<bpmn:endEvent id="again"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
        + flows("hs>again")
        + "</bpmn:subProcess>"
        + flows("ss>fail")
        + '</bpmn:subProcess><bpmn:boundaryEvent id="caught" attachedToRef="sub">'
        '<bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>'
        '<bpmn:endEvent id="ok"/><bpmn:endEvent id="handled"/>'
        + flows("s>sub", "sub>ok", "caught>handled"),
        top='<bpmn:error id="err" errorCode="BOOM"/>',
    )


def esp_compensation() -> tuple[str, bytes]:
    """An escalation event sub-process whose compensation end event undoes task ``a`` of
    the enclosing scope."""
    return diagram(
        "esp-compensation",
        '<bpmn:startEvent id="s"/><bpmn:task id="a"/>'
        '<bpmn:boundaryEvent id="undo" attachedToRef="a"><bpmn:compensateEventDefinition/>'
        '</bpmn:boundaryEvent><bpmn:task id="undo_a" isForCompensation="true"/>'
        '<bpmn:endEvent id="late"><bpmn:escalationEventDefinition escalationRef="esc"/>'
        '</bpmn:endEvent><bpmn:subProcess id="handler" triggeredByEvent="true">'
        '<bpmn:startEvent id="hs"><bpmn:escalationEventDefinition escalationRef="esc"/>'
        '</bpmn:startEvent><bpmn:endEvent id="comp"><bpmn:compensateEventDefinition '
        'activityRef="a"/></bpmn:endEvent>' + flows("hs>comp") + "</bpmn:subProcess>"
        '<bpmn:association id="as" associationDirection="One" sourceRef="undo" '
        'targetRef="undo_a"/>' + flows("s>a", "a>late"),
        top='<bpmn:escalation id="esc" escalationCode="LATE"/>',
    )


def empty_ad_hoc() -> tuple[str, bytes]:
    """An ad-hoc sub-process with nothing inside: it completes at once."""
    return diagram(
        "empty-ad-hoc",
        '<bpmn:startEvent id="s"/><bpmn:adHocSubProcess id="adhoc"/><bpmn:endEvent id="e"/>'
        + flows("s>adhoc", "adhoc>e"),
    )


def gateway_sink() -> tuple[str, bytes]:
    """A parallel fork whose one branch runs into an exclusive gateway without outgoing
    flows (an implicit end) while the other reaches the end event."""
    return diagram(
        "gateway-sink",
        '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>'
        '<bpmn:exclusiveGateway id="sink"/><bpmn:endEvent id="e"/>'
        + flows("s>fork", "fork>sink", "fork>e"),
    )


def signal_scope() -> tuple[str, bytes]:
    """A signal end event inside ``sub``: the sub-process's own (interrupting)
    signal event sub-process catches it, the boundary on ``sub`` does not."""
    return diagram(
        "signal-scope",
        '<bpmn:startEvent id="s"/><bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/>'
        '<bpmn:endEvent id="shout"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:endEvent>'
        '<bpmn:subProcess id="heard" triggeredByEvent="true"><bpmn:startEvent id="hs">'
        '<bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent><bpmn:endEvent id="he"/>'
        + flows("hs>he")
        + "</bpmn:subProcess>"
        + flows("ss>shout")
        + '</bpmn:subProcess><bpmn:boundaryEvent id="outer" attachedToRef="sub">'
        '<bpmn:signalEventDefinition signalRef="sig"/></bpmn:boundaryEvent><bpmn:endEvent id="e"/>'
        '<bpmn:endEvent id="oe"/>' + flows("s>sub", "sub>e", "outer>oe"),
        top='<bpmn:signal id="sig" name="shout"/>',
    )


def link_join() -> tuple[str, bytes]:
    """An inclusive join fed directly and through a link event after a short timer: it
    must wait for the linked token and fire once."""
    return diagram(
        "link-join",
        '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>'
        '<bpmn:intermediateCatchEvent id="wait">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="L"/>'
        '</bpmn:intermediateThrowEvent><bpmn:intermediateCatchEvent id="land">'
        '<bpmn:linkEventDefinition name="L"/></bpmn:intermediateCatchEvent>'
        '<bpmn:inclusiveGateway id="join"/><bpmn:endEvent id="e"/>'
        + flows("s>fork", "fork>join", "fork>wait", "wait>jump", "land>join", "join>e"),
    )


def implicit_start() -> tuple[str, bytes]:
    """A start event plus a task no flow leads to: the task gets a token at the start."""
    return diagram(
        "implicit-start",
        '<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/><bpmn:task id="stray"/>'
        '<bpmn:endEvent id="e2"/>' + flows("s>e", "stray>e2"),
    )


def message_flow_pair() -> tuple[str, bytes]:
    """Two pools: ``ping`` throws a message along a flow to the start event of ``pong``
    (starting it) and waits at a task for the answer that ``pong``'s end event sends."""
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d_pair" '
        'targetNamespace="http://test">\n'
        '<bpmn:collaboration id="c"><bpmn:participant id="pa" processRef="ping"/>'
        '<bpmn:participant id="pb" processRef="pong"/>'
        '<bpmn:messageFlow id="call" sourceRef="ask" targetRef="pong_start"/>'
        '<bpmn:messageFlow id="answer" sourceRef="pong_end" targetRef="hear"/>'
        "</bpmn:collaboration>\n"
        '<bpmn:process id="ping" isExecutable="true"><bpmn:startEvent id="s"/>'
        '<bpmn:intermediateThrowEvent id="ask"><bpmn:messageEventDefinition/>'
        '</bpmn:intermediateThrowEvent><bpmn:task id="hear"/><bpmn:endEvent id="e"/>'
        + flows("s>ask", "ask>hear", "hear>e")
        + '</bpmn:process>\n<bpmn:process id="pong" isExecutable="true">'
        '<bpmn:startEvent id="pong_start"/><bpmn:endEvent id="pong_end">'
        "<bpmn:messageEventDefinition/></bpmn:endEvent>"
        + flows("pong_start>pong_end")
        + "</bpmn:process>\n</bpmn:definitions>\n"
    )
    return "pair.bpmn", xml.encode()


def escalation_by_reference() -> tuple[str, bytes]:
    """Two non-interrupting escalation event sub-processes without codes: ``named``
    references escalation ``esc``, ``any`` none. A throw of ``esc`` goes to ``named``, a
    throw that references nothing to ``any``."""
    return diagram(
        "escalation-ref",
        '<bpmn:startEvent id="s"/><bpmn:intermediateThrowEvent id="plain">'
        "<bpmn:escalationEventDefinition/></bpmn:intermediateThrowEvent>"
        '<bpmn:intermediateThrowEvent id="named_throw"><bpmn:escalationEventDefinition '
        'escalationRef="esc"/></bpmn:intermediateThrowEvent><bpmn:endEvent id="e"/>'
        '<bpmn:subProcess id="named" triggeredByEvent="true"><bpmn:startEvent id="ns" '
        'isInterrupting="false"><bpmn:escalationEventDefinition escalationRef="esc"/>'
        '</bpmn:startEvent><bpmn:endEvent id="ne"/>' + flows("ns>ne") + "</bpmn:subProcess>"
        '<bpmn:subProcess id="any" triggeredByEvent="true"><bpmn:startEvent id="as" '
        'isInterrupting="false"><bpmn:escalationEventDefinition/></bpmn:startEvent>'
        '<bpmn:endEvent id="ae"/>'
        + flows("as>ae")
        + "</bpmn:subProcess>"
        + flows("s>plain", "plain>named_throw", "named_throw>e"),
        top='<bpmn:escalation id="esc" name="late"/>',
    )


def compensate_both() -> tuple[str, bytes]:
    """Sub-process ``sub`` has a compensation event sub-process (undoing ``a`` inside)
    and a compensation boundary event (handler ``undo_sub``): compensating ``sub`` runs
    both."""
    return diagram(
        "compensate-both",
        '<bpmn:startEvent id="s"/><bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/>'
        '<bpmn:task id="a"/><bpmn:boundaryEvent id="ca" attachedToRef="a">'
        "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>"
        '<bpmn:task id="undo_a" isForCompensation="true"/>'
        '<bpmn:association id="as1" associationDirection="One" sourceRef="ca" targetRef="undo_a"/>'
        '<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent id="es">'
        '<bpmn:compensateEventDefinition/></bpmn:startEvent><bpmn:endEvent id="ee">'
        '<bpmn:compensateEventDefinition activityRef="a"/></bpmn:endEvent>'
        + flows("es>ee")
        + "</bpmn:subProcess>"
        + flows("ss>a")
        + '</bpmn:subProcess><bpmn:boundaryEvent id="csub" attachedToRef="sub">'
        "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>"
        '<bpmn:task id="undo_sub" isForCompensation="true"/>'
        '<bpmn:association id="as2" associationDirection="One" sourceRef="csub" '
        'targetRef="undo_sub"/><bpmn:endEvent id="undo"><bpmn:compensateEventDefinition '
        'activityRef="sub"/></bpmn:endEvent>' + flows("s>sub", "sub>undo"),
    )


def standard_loop() -> tuple[str, bytes]:
    """A Camunda 7 service task with a standard loop: adds one to ``count`` while
    ``count < 3`` (tested after each run), at most 10 times."""
    return diagram(
        "standard-loop",
        '<bpmn:startEvent id="s"/><bpmn:serviceTask id="add" camunda:expression="${count + 1}" '
        'camunda:resultVariable="count"><bpmn:standardLoopCharacteristics loopMaximum="10">'
        "<bpmn:loopCondition>${count &lt; 3}</bpmn:loopCondition>"
        '</bpmn:standardLoopCharacteristics></bpmn:serviceTask><bpmn:endEvent id="e"/>'
        + flows("s>add", "add>e"),
    )


def bean_calls() -> tuple[str, bytes]:
    """Camunda 7 Spring-bean calls: a service-task expression and an assignee."""
    return diagram(
        "bean-calls",
        '<bpmn:startEvent id="s"/><bpmn:serviceTask id="greet" '
        'camunda:expression="${greeter.shout(name)}" camunda:resultVariable="loud"/>'
        '<bpmn:userTask id="check" camunda:assignee="#{people.pick(team)}"/>'
        '<bpmn:endEvent id="e"/>' + flows("s>greet", "greet>check", "check>e"),
    )


def camunda7(key: str, body: str) -> tuple[str, bytes]:
    """A diagram in Camunda 7's dialect only (no zeebe namespace declared), the way
    Camunda Modeler writes one for Camunda Platform 7: what makes the interpreter apply
    Camunda 7's conventions (0-based ``loopCounter``)."""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        f'id="d_{key}" targetNamespace="http://test">\n'
        f'<bpmn:process id="{key}" isExecutable="true">\n{body}\n</bpmn:process>\n'
        "</bpmn:definitions>\n"
    )
    return f"{key}.bpmn", xml.encode()


def c7_loops() -> tuple[str, bytes]:
    """Camunda 7 multi-instance: ``count`` (sequential, ``${3}``) leaves its last
    ``loopCounter`` in ``last``; ``lit`` has the plain-number cardinality most Camunda 7
    diagrams write (``3``)."""
    return camunda7(
        "c7-loops",
        '<bpmn:startEvent id="s"/><bpmn:serviceTask id="count" '
        'camunda:expression="${loopCounter}" camunda:resultVariable="last">'
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true">'
        "<bpmn:loopCardinality>${3}</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>"
        '<bpmn:task id="lit"><bpmn:multiInstanceLoopCharacteristics>'
        "<bpmn:loopCardinality>3</bpmn:loopCardinality>"
        '</bpmn:multiInstanceLoopCharacteristics></bpmn:task><bpmn:endEvent id="e"/>'
        + flows("s>count", "count>lit", "lit>e"),
    )


def c7_mi_compensation(*, counter: bool = True) -> tuple[str, bytes]:
    """A parallel multi-instance task with a compensation handler, then a compensation
    throw: the handler ``undo`` leaves the ``loopCounter`` it ran with in ``undone``
    (``counter=False``: a plain task, for the run before epoch 4, where the handler saw
    no loop variables)."""
    handler = (
        'camunda:expression="${loopCounter}" camunda:resultVariable="undone"' if counter else ""
    )
    return camunda7(
        "c7-mi-compensation",
        '<bpmn:startEvent id="s"/><bpmn:task id="work">'
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>${3}"
        "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:task>"
        '<bpmn:boundaryEvent id="undo_work" attachedToRef="work">'
        "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>"
        f'<bpmn:{"serviceTask" if counter else "task"} id="undo" isForCompensation="true" '
        f"{handler}/>"
        '<bpmn:association id="as" associationDirection="One" sourceRef="undo_work" '
        'targetRef="undo"/><bpmn:intermediateThrowEvent id="comp">'
        "<bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>"
        '<bpmn:endEvent id="e"/>' + flows("s>work", "work>comp", "comp>e"),
    )


def two_tokens_one_timer() -> tuple[str, bytes]:
    """Two tokens wait at the same timer catch event (a fork with two flows to it)."""
    return camunda7(
        "two-tokens-one-timer",
        '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>'
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
        '</bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>'
        + flows("s>fork", "fork>wait", "wait>e")
        + '<bpmn:sequenceFlow id="f_fork_wait_2" sourceRef="fork" targetRef="wait"/>',
    )
