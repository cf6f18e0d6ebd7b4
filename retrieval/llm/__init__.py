"""LLM answers: the OpenAI-compatible client and retry policy, prompts, the chain."""
