"""Attain's web app: FastAPI pages and JSON API over the core (see docs/web.md)."""
