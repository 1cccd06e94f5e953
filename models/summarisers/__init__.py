"""Extractive summarisers: centrality over TF-IDF and embeddings, or a learned sentence scorer."""
