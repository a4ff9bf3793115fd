"""The deployment sequence's steps 1-5, one module each; every step takes a Context and returns a detail line."""
