"""Marketing triggers: segments computed in SQL fill an outbox; pluggable senders deliver it."""
