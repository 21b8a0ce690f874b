"""The edge's device hub: RFID readers and scanners started from ``firmware-config/`` profiles.

See ``docs/devices.md`` for the API (health, live tag states, counts, alerts, per-session scan feeds).
"""
