"""Catalog: categories and products synced from the active provider, priced by the markup rules."""
