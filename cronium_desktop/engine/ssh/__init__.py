"""SSH plumbing for remote runs, health checks and terminals: host keys, connecting, pooling.

`engine/servers.py` is the service the rest of the engine uses; these modules are its parts.
"""
