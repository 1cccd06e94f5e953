"""Files to ``Document``: decoding (UTF-8/16, legacy Vietnamese), HTML, Word, PDF; question files."""
