"""Loyalty: the ledger, the earning rules, and the authority (online authorisation, allowances)."""
