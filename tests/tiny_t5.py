"""Tiny random t5 checkpoint fixtures (session-scoped, saved once in a temp dir)."""
