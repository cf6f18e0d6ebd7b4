"""Embeddings, the versioned Chroma store, BM25 and the hybrid search over them."""
