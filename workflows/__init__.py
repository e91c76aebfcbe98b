"""The interpreter: one Temporal workflow, ``BpmnProcess``, runs every compiled definition.

Import ``workflows.bpmn_process.BpmnProcess`` for the class and ``baton_client.contracts.bpmn`` for
the documented interface. This ``__init__`` stays empty so the sandbox loads only what a
workflow run needs.
"""
