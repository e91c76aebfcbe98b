"""Messages along message flows between the pools of one deployment.

A message flow that ends at a start event of another process starts an instance there
(the started instance and the sender become partners); one that ends at an element of a
running process goes to the sender's partner instances of that process, as a buffered
``deliver_message`` signal addressed to the element; one that ends at a pool border does
nothing. A local activity of the sending workflow: one marker event per message.
"""

from __future__ import annotations

import contextlib

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from bpmn_compiler.ir import StartEvent
from store import Store, definitions
from store.db import DefinitionNotFound
from workflows import contracts as c
from workflows import search_attributes as sa


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
            workflow_id = f"{message.sender_instance_id}/{message.throw_id}/{message.target}"
            with contextlib.suppress(WorkflowAlreadyStartedError):  # a retry: started already
                await self._client.start_workflow(
                    c.WORKFLOW_NAME,
                    c.ProcessInput(
                        definition=c.DefinitionRef(
                            key=target.key, version=target.version, sha256=target.sha256
                        ),
                        variables=dict(message.variables),
                        start_event=message.target,
                        partners={message.sender_process: [message.sender_instance_id]},
                    ),
                    id=workflow_id,
                    task_queue=activity.info().task_queue,
                    search_attributes=sa.at_start(target.key, target.version, None),
                    static_summary=f"{target.key} v{target.version}, "
                    f"started by message flow {message.flow_id}",
                )
            return c.FlowSent(started=workflow_id)
        delivered = 0
        for partner in message.partners:
            try:
                await self._client.get_workflow_handle(partner).signal(
                    c.DELIVER_MESSAGE,
                    c.DeliverMessage(
                        name=message.flow_id,
                        element_id=message.target,
                        variables=dict(message.variables),
                        message_id=f"{message.sender_instance_id}/{message.throw_id}",
                    ),
                )
                delivered += 1
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise
        return c.FlowSent(delivered=delivered)
