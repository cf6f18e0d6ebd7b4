"""Citations numbered in code and every cited claim checked against its passage."""
