"""What a transformer reads: word segmentation for PhoBERT, token offsets into the original text, QA windows,
token limits."""
