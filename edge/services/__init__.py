"""Store services: domain logic over the replica (selling, returns, stock, reservations, orders,
customers and loyalty). Each mutation writes its ops in the same transaction as its rows."""
