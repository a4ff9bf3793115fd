"""Production-shaped FastAPI backend with Kernia authentication."""

import warnings

# Kernia 0.1.0 imports authlib.jose (deprecated upstream) for its JWT plugin, which this project does not use.
warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
