"""Thin HTTP layers over the core services."""
