"""Reading sources, cleaning page furniture, chunking, and writing index versions."""
