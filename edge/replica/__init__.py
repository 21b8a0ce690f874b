"""The store's SQLite replica: schema migrations, the single writer, outbox and inbox ports."""
