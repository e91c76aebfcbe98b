"""The Eximee BPMS API (``/v1/bpms``): deployments, process instances, user tasks, incidents,
messages and signals, service tasks for external workers."""
