"""A ``Document`` made readable: paragraphs kept or dropped (cleaning), sentences and passages (splitting),
header roles."""
