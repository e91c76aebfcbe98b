"""Messages along message flows between the pools of one deployment.

A message flow that ends at a start event of another process starts an instance there
(the started instance and the sender become partners); one that ends at an element of a
running process goes to the sender's partner instances of that process, as a buffered
``deliver_message`` signal addressed to the element; one that ends at a pool border does
nothing. A local activity of the sending workflow: one marker event per message.
"""

from __future__ import annotations

from baton_client.contracts import bpmn as c
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from bpmn_compiler.ir import StartEvent
from operations.instances import start_at
from operations.messages import signal_message
from store import Store, definitions
from store.db import DefinitionNotFound


class MessageFlowActivities:
    def __init__(self, client: Client, store: Store) -> None:
        self._client = client
        self._store = store

    @activity.defn(name=c.SEND_ALONG_FLOW)
    async def send_along_flow(self, message: c.SendAlongFlow) -> c.FlowSent:
        try:
            target = await definitions.find(self._store, message.target_process)
        except DefinitionNotFound as err:
            raise ApplicationError(str(err), type="DefinitionNotFound", non_retryable=True) from err
        ir = await definitions.load_ir(self._store, target.key, target.version, target.sha256)
        node = ir.nodes.get(message.target)
        if node is None:
            return c.FlowSent()  # the pool's border: nothing listens there
        if isinstance(node, StartEvent) and node.scope is None:
            workflow_id = await start_at(  # a retry finds the instance started already
                self._client,
                target,
                message.target,
                workflow_id=c.thrown_start_id(
                    message.sender_instance_id, message.throw_id, message.target
                ),
                task_queue=activity.info().task_queue,
                summary=f"started by message flow {message.flow_id}",
                variables=message.variables,
                partners={message.sender_process: [message.sender_instance_id]},
            )
            return c.FlowSent(started=workflow_id)
        delivered = 0
        for partner in message.partners:
            sent = c.DeliverMessage(
                name=message.flow_id,
                element_id=message.target,
                variables=dict(message.variables),
                message_id=f"{message.sender_instance_id}/{message.throw_id}",
            )
            if await signal_message(self._client, partner, sent):  # False: it has ended
                delivered += 1
        return c.FlowSent(delivered=delivered)
