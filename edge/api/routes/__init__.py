"""One APIRouter module per area; ``edge.api.app.ROUTERS`` lists them."""
