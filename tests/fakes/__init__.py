"""Test doubles shared by the test modules (import as `fakes.<module>`)."""
