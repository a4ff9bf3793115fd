"""Deploying the rendered project onto a running stack: ``context`` (the leaf every step takes), one module per
step (provision, migrate, backend, callbacks, frontend; aws_resources and worker for the optional services) and
``sequence``, which runs them in order; ``app_host``, ``app_containers`` and ``ingress`` run the app beside a
container stack.

This package's ``__init__`` imports nothing, so importing ``harness.deploy.context`` never pulls in the steps.
"""
