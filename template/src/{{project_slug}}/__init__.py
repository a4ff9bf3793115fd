"""Production-shaped FastAPI backend with Kernia authentication."""

import warnings

from authlib.deprecate import (
    AuthlibDeprecationWarning,  # installs an "always" filter, so ours must come after
)

# Kernia 0.1.0 imports authlib.jose (deprecated upstream) for its JWT plugin, which this project does not use.
warnings.filterwarnings(
    "ignore", message="authlib.jose module is deprecated", category=AuthlibDeprecationWarning
)
