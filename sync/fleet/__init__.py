"""The fleet simulator: a whole Vitrine fleet as real processes on one machine.

Mosquitto (``sync.broker``), the cloud hub (``vitrine-cloud`` API + ingest workers) and N stores
(``vitrine-edge serve``) run as child processes; each store's MQTT link goes through a loopback TCP
proxy this package controls, so one store can lose "the internet" while the others stay online.
Everything is driven through the processes' HTTP APIs and CLIs: this package imports nothing of the
project but ``sync`` (see docs/simulation.md).
"""
