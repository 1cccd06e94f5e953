"""Extractive span readers: the trained reader on ONNX Runtime (the default) and any transformers QA
checkpoint."""
