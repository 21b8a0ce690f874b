"""Model rollout at the hub: signed artifacts kept in the database, releases to chosen stores (a
canary), promotion of that same artifact to every store, rollback, and the release history."""
