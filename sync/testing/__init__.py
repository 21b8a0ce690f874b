"""Reference nodes and workloads for tests, the simulation and the benchmark.

:mod:`sync.testing.sqlite_node` implements the :mod:`sync.ports` Outbox/Inbox over a real SQLite
file (the same contract the edge node implements); :mod:`sync.testing.workload` generates
realistic, seeded op streams.
"""
