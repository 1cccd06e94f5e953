"""Text-to-text generation with ViT5: summaries and answers, on transformers or CTranslate2."""
