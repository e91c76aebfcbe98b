"""The BPMN interpreter's parts: the runtime state, one behaviour per element family,
and the cross-cutting behaviours. ``workflows.bpmn_process`` is the Temporal shell over them."""
