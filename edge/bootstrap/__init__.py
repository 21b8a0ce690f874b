"""Filling a new store's replica from the hub over the sync link (protocol: ``sync.bootstrap``)."""
