"""Load kernia-test-utils' MockStripe and MockIdP without running the package's ``__init__``.

``import kernia_test_utils`` imports every helper it ships (pytest, the SAML and WebAuthn mocks,
testcontainers glue): ~1.4 s of CPU per process. Both mocks are self-contained modules (stdlib, httpx,
cryptography), so each fake server loads just its file from the installed package, which keeps the native
stack's cold start on two cores short.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any


def _load(module: str) -> ModuleType:
    spec = importlib.util.find_spec("kernia_test_utils")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("kernia-test-utils is not installed: pip install 'kernia-test-utils[pytest]'")
    path = Path(next(iter(spec.submodule_search_locations))) / f"{module}.py"
    name = f"_kernia_test_utils_{module}"
    loaded = importlib.util.spec_from_file_location(name, path)
    assert loaded is not None and loaded.loader is not None
    mod = importlib.util.module_from_spec(loaded)
    sys.modules[name] = mod  # dataclasses resolve annotations through sys.modules
    loaded.loader.exec_module(mod)
    return mod


def mock_stripe() -> Any:
    """A new kernia_test_utils.mock_stripe.MockStripe."""
    return _load("mock_stripe").MockStripe()


def mock_idp(issuer: str) -> Any:
    """A new kernia_test_utils.mock_idp.MockIdP for ``issuer``."""
    return _load("mock_idp").MockIdP(issuer=issuer)
