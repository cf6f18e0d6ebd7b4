"""The offline answerer: what a question asks, follow-ups, sentence choice."""
