"""Model implementations behind the protocols in ``pipeline.core.protocols``; built by ``models.factory``."""
