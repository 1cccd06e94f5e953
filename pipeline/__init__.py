"""vidoc: summarise Vietnamese reports, answer questions with citations, score against references."""

__version__ = "0.1.0"
