"""Vitrine sync: the replicated vocabulary, clocks, wire format and MQTT transport.

Imports nothing of ours. ``edge`` and ``cloud`` both build on it.
"""
