"""Tiny random phobert checkpoint fixtures (session-scoped, saved once in a temp dir)."""
