"""A small token service: issues API tokens, stores their argon2 hashes, verifies them."""
