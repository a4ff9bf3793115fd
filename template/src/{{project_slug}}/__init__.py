"""Production-shaped FastAPI backend with Kernia authentication."""
