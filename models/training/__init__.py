"""Training vidoc's own models (``vidoc train reader``, ``vidoc train summariser``): data and export."""
