"""The one database schema: Kernia's tables (fixed for PostgreSQL) plus the project's own tables.

Kernia 0.1.0's stock schema breaks on PostgreSQL (see kernia-0.1.0-notes): ``apikey``/``scimProvider`` lack
the ``id`` the adapter selects by, the adapter always writes ``createdAt``/``updatedAt``, dates and numbers
are INTEGER (API keys store epoch milliseconds) and strings are VARCHAR(255). ``METADATA`` fixes all of that
once and is shared by the SQLAlchemy adapter and Alembic, so migrations and runtime never disagree.

The schema is uniform across template options: the phone-number columns exist even without SMS, so one
migration serves every combination.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from kernia.db.migrations.codegen import resolve_full_schema
from kernia.db.schema import CORE_MODELS
from kernia.plugins.admin import admin
from kernia.plugins.email_otp import email_otp
from kernia.plugins.email_password import email_and_password
from kernia.plugins.magic_link import magic_link
from kernia.plugins.organization import organization
from kernia.plugins.phone_number import phone_number
from kernia.types.adapter import FieldDef, ModelDef
from kernia.types.plugin import KerniaPlugin
from kernia_api_key import api_key
from kernia_scim import SCIMOptions, scim
from kernia_sso import sso
from kernia_stripe import StripeClient, StripeOptions, stripe
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.types import TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
TIMESTAMP_FIELDS = ("createdAt", "updatedAt")


def schema_plugins() -> tuple[KerniaPlugin, ...]:
    """Every plugin whose tables the schema carries, built with schema-neutral options."""
    return (
        email_and_password(),
        admin(),
        api_key(),
        organization(),
        magic_link(),
        email_otp(),
        phone_number(),
        stripe(StripeOptions(stripe_client=StripeClient(), webhook_secret="")),
        sso(),
        scim(SCIMOptions(store_scim_token="hashed")),
    )


def fixed_models(plugins: Iterable[KerniaPlugin]) -> tuple[ModelDef, ...]:
    """Resolve Kernia's models and add what the SQLAlchemy adapter needs (``id``, timestamps)."""
    return tuple(_fix_model(model) for model in resolve_full_schema(CORE_MODELS, plugins))


def _fix_model(model: ModelDef) -> ModelDef:
    names = {f.name for f in model.fields}
    fields = list(model.fields)
    if "id" not in names:
        fields.insert(0, FieldDef("id", "string", unique=True))
    fields.extend(FieldDef(name, "date", required=False) for name in TIMESTAMP_FIELDS if name not in names)
    return replace(model, fields=tuple(fields))


def _column_type(f: FieldDef) -> TypeEngine[Any]:
    match f.type:
        case "string" | "text":
            return Text()
        case "number" | "date":
            return BigInteger()
        case "boolean":
            return Boolean()
        case "uuid":
            return Uuid(as_uuid=True)
        case _:
            return JSON()


def add_kernia_tables(metadata: MetaData, models: Sequence[ModelDef]) -> None:
    for model in models:
        columns: list[Column[Any]] = []
        for f in model.fields:
            args: list[Any] = [_column_type(f)]
            if f.references is not None:
                ref_model, ref_field = f.references
                args.append(ForeignKey(f"{ref_model}.{ref_field}", ondelete="CASCADE"))
            columns.append(
                Column(
                    f.name,
                    *args,
                    primary_key=f.name == "id",
                    unique=f.unique and f.name != "id",
                    nullable=f.name != "id" and not f.required,
                    index=bool(f.index or f.references) and not f.unique,
                )
            )
        Table(model.table_name or model.name, metadata, *columns)


def add_project_tables(metadata: MetaData) -> None:
    """``audit_event`` (fields per Kernia's audit-log docs) and ``stripe_event`` (webhook replay guard)."""
    Table(
        "audit_event",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("actor_id", Text, nullable=True, index=True),
        Column("event", Text, nullable=False, index=True),
        Column("subject_type", Text, nullable=True),
        Column("subject_id", Text, nullable=True),
        Column("request_id", Text, nullable=True),
        Column("ip_address", Text, nullable=True),
        Column("user_agent", Text, nullable=True),
        Column("metadata", JSON, nullable=False),
        Column("created_at", BigInteger, nullable=False, index=True),
    )
    Table(
        "stripe_event",
        metadata,
        Column("id", Text, primary_key=True),
        Column("type", Text, nullable=False),
        Column("received_at", BigInteger, nullable=False),
    )


def build_metadata() -> MetaData:
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    add_kernia_tables(metadata, MODELS)
    add_project_tables(metadata)
    return metadata


MODELS: tuple[ModelDef, ...] = fixed_models(schema_plugins())
METADATA: MetaData = build_metadata()
AUDIT_EVENT: Table = METADATA.tables["audit_event"]
STRIPE_EVENT: Table = METADATA.tables["stripe_event"]
USER: Table = METADATA.tables["user"]
