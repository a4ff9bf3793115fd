"""The rendered backend WITHOUT its Kernia 0.1.0 hardening, for negative controls only.

The intrusion checks must fail against this app: that proves they detect the defects they guard against.
It lives in the harness's test suite, never in a rendered project, and is selected by import path.
"""

from __future__ import annotations

import importlib
import os

from fastapi import FastAPI


def create_app() -> FastAPI:
    main = importlib.import_module(f"{os.environ['UNHARDENED_PROJECT_SLUG']}.main")
    return main.create_app(hardened=False)
