"""The rule reader: answer types, span edges, tables, titles and header roles, read out of the question and
the passages."""
