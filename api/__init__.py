"""HTTP facade: translates REST calls (Eximee, ONEWEB, LetsFlow families) into Temporal
client calls and read-model queries. Routers hold no BPMN semantics."""
