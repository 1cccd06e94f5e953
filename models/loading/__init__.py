"""Where model files come from and how they load: presets, local folders and hub snapshots, devices, optional
extras."""
