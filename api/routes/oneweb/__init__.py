"""The ONEWEB process runtime API (``/BPMREST``), answered in ONEWEB's envelope."""
