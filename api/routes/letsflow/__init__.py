"""The LetsFlow API: scenarios, processes and API keys, in LetsFlow's shapes."""
