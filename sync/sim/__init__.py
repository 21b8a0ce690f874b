"""Seeded deterministic simulation of the sync protocol: fake clock, fake network, random faults."""
