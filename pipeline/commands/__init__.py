"""One module per CLI command; ``pipeline.cli`` registers them. Heavy imports stay inside functions."""
