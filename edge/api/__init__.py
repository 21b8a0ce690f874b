"""HTTP API of the edge node (FastAPI). Entry point: :func:`edge.api.app.create_app`."""
