"""Shipped configuration presets (YAML). ``default.yaml`` is the offline default."""
