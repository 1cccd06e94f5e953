"""Model implementations behind the protocols in ``pipeline.protocols``; built by ``models.factory``."""
