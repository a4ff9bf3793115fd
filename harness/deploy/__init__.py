"""Deploying the rendered project onto a running stack: ``context`` (the leaf every step takes), one module per
step (provision, migrate, backend, callbacks, frontend) and ``sequence``, which runs them in order.

This package's ``__init__`` imports nothing, so importing ``harness.deploy.context`` never pulls in the steps.
"""
