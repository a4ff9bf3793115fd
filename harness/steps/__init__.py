"""Old import path, kept until the branches that still import it are merged: the steps live in ``harness.deploy``."""
