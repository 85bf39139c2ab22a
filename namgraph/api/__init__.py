"""The GraphQL API for dashboards: FastAPI + strawberry over the graph."""
