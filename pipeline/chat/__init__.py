"""``vidoc chat``: the REPL, follow-up questions made standalone, and how answers look on a terminal."""
