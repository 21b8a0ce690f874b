"""Cloud ingest: idempotent apply of store op batches, quarantine, acks, and the downlink publisher.

Entry points: :func:`cloud.ingest.hub.start_hub` (used by ``vitrine-cloud``) and the worker process
``python -m cloud.ingest.worker`` (run it N times: the workers share one MQTT subscription).
"""
