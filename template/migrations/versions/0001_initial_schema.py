"""Initial schema: Kernia tables (fixed for PostgreSQL), audit_event and stripe_event.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 00:04:09.343157
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apikey",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("configId", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("start", sa.Text(), nullable=True),
        sa.Column("prefix", sa.Text(), nullable=True),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("referenceId", sa.Text(), nullable=False),
        sa.Column("refillInterval", sa.BigInteger(), nullable=True),
        sa.Column("refillAmount", sa.BigInteger(), nullable=True),
        sa.Column("lastRefillAt", sa.BigInteger(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("rateLimitEnabled", sa.Boolean(), nullable=True),
        sa.Column("rateLimitTimeWindow", sa.BigInteger(), nullable=True),
        sa.Column("rateLimitMax", sa.BigInteger(), nullable=True),
        sa.Column("requestCount", sa.BigInteger(), nullable=True),
        sa.Column("remaining", sa.BigInteger(), nullable=True),
        sa.Column("lastRequest", sa.BigInteger(), nullable=True),
        sa.Column("expiresAt", sa.BigInteger(), nullable=True),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=True),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apikey")),
    )
    op.create_index(op.f("ix_apikey_key"), "apikey", ["key"], unique=False)
    op.create_index(op.f("ix_apikey_referenceId"), "apikey", ["referenceId"], unique=False)
    op.create_table(
        "audit_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.Text(), nullable=True),
        sa.Column("subject_id", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_actor_id"), "audit_event", ["actor_id"], unique=False)
    op.create_index(op.f("ix_audit_event_created_at"), "audit_event", ["created_at"], unique=False)
    op.create_index(op.f("ix_audit_event_event"), "audit_event", ["event"], unique=False)
    op.create_table(
        "organization",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("logo", sa.Text(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("slug", name=op.f("uq_organization_slug")),
    )
    op.create_table(
        "scimProvider",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("providerId", sa.Text(), nullable=False),
        sa.Column("scimToken", sa.Text(), nullable=False),
        sa.Column("organizationId", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.BigInteger(), nullable=True),
        sa.Column("updatedAt", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scimProvider")),
        sa.UniqueConstraint("providerId", name=op.f("uq_scimProvider_providerId")),
        sa.UniqueConstraint("scimToken", name=op.f("uq_scimProvider_scimToken")),
    )
    op.create_table(
        "ssoProvider",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("domains", sa.Text(), nullable=True),
        sa.Column("oidcConfig", sa.Text(), nullable=True),
        sa.Column("samlConfig", sa.Text(), nullable=True),
        sa.Column("userInfoMapping", sa.Text(), nullable=True),
        sa.Column("organizationId", sa.Text(), nullable=True),
        sa.Column("userId", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ssoProvider")),
        sa.UniqueConstraint("issuer", name=op.f("uq_ssoProvider_issuer")),
    )
    op.create_table(
        "stripe_event",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_event")),
    )
    op.create_table(
        "subscription",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("referenceId", sa.Text(), nullable=False),
        sa.Column("stripeCustomerId", sa.Text(), nullable=True),
        sa.Column("stripeSubscriptionId", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("periodStart", sa.BigInteger(), nullable=True),
        sa.Column("periodEnd", sa.BigInteger(), nullable=True),
        sa.Column("cancelAtPeriodEnd", sa.Boolean(), nullable=True),
        sa.Column("cancelAt", sa.BigInteger(), nullable=True),
        sa.Column("canceledAt", sa.BigInteger(), nullable=True),
        sa.Column("endedAt", sa.BigInteger(), nullable=True),
        sa.Column("seats", sa.BigInteger(), nullable=True),
        sa.Column("trialStart", sa.BigInteger(), nullable=True),
        sa.Column("trialEnd", sa.BigInteger(), nullable=True),
        sa.Column("priceId", sa.Text(), nullable=True),
        sa.Column("groupId", sa.Text(), nullable=True),
        sa.Column("billingInterval", sa.Text(), nullable=True),
        sa.Column("stripeScheduleId", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("emailVerified", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("banned", sa.Boolean(), nullable=True),
        sa.Column("banReason", sa.Text(), nullable=True),
        sa.Column("banExpires", sa.BigInteger(), nullable=True),
        sa.Column("phoneNumber", sa.Text(), nullable=True),
        sa.Column("phoneNumberVerified", sa.Boolean(), nullable=True),
        sa.Column("stripeCustomerId", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("email", name=op.f("uq_user_email")),
        sa.UniqueConstraint("phoneNumber", name=op.f("uq_user_phoneNumber")),
    )
    op.create_table(
        "verification",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expiresAt", sa.BigInteger(), nullable=False),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification")),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("accountId", sa.Text(), nullable=False),
        sa.Column("providerId", sa.Text(), nullable=False),
        sa.Column("accessToken", sa.Text(), nullable=True),
        sa.Column("refreshToken", sa.Text(), nullable=True),
        sa.Column("idToken", sa.Text(), nullable=True),
        sa.Column("accessTokenExpiresAt", sa.BigInteger(), nullable=True),
        sa.Column("refreshTokenExpiresAt", sa.BigInteger(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["userId"], ["user.id"], name=op.f("fk_account_userId_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
    )
    op.create_index(op.f("ix_account_userId"), "account", ["userId"], unique=False)
    op.create_table(
        "invitation",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("organizationId", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("inviterId", sa.Text(), nullable=False),
        sa.Column("expiresAt", sa.BigInteger(), nullable=True),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inviterId"], ["user.id"], name=op.f("fk_invitation_inviterId_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organizationId"],
            ["organization.id"],
            name=op.f("fk_invitation_organizationId_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
    )
    op.create_index(op.f("ix_invitation_inviterId"), "invitation", ["inviterId"], unique=False)
    op.create_index(op.f("ix_invitation_organizationId"), "invitation", ["organizationId"], unique=False)
    op.create_table(
        "member",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("organizationId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organizationId"],
            ["organization.id"],
            name=op.f("fk_member_organizationId_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["userId"], ["user.id"], name=op.f("fk_member_userId_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    op.create_index(op.f("ix_member_organizationId"), "member", ["organizationId"], unique=False)
    op.create_index(op.f("ix_member_userId"), "member", ["userId"], unique=False)
    op.create_table(
        "session",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("expiresAt", sa.BigInteger(), nullable=False),
        sa.Column("ipAddress", sa.Text(), nullable=True),
        sa.Column("userAgent", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=False),
        sa.Column("impersonatedBy", sa.Text(), nullable=True),
        sa.Column("activeOrganizationId", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["userId"], ["user.id"], name=op.f("fk_session_userId_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session")),
        sa.UniqueConstraint("token", name=op.f("uq_session_token")),
    )
    op.create_index(op.f("ix_session_userId"), "session", ["userId"], unique=False)
    op.create_table(
        "ssoDomain",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("ssoProviderId", sa.Text(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verificationToken", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.BigInteger(), nullable=False),
        sa.Column("updatedAt", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ssoProviderId"],
            ["ssoProvider.id"],
            name=op.f("fk_ssoDomain_ssoProviderId_ssoProvider"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ssoDomain")),
        sa.UniqueConstraint("domain", name=op.f("uq_ssoDomain_domain")),
    )
    op.create_index(op.f("ix_ssoDomain_ssoProviderId"), "ssoDomain", ["ssoProviderId"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ssoDomain_ssoProviderId"), table_name="ssoDomain")
    op.drop_table("ssoDomain")
    op.drop_index(op.f("ix_session_userId"), table_name="session")
    op.drop_table("session")
    op.drop_index(op.f("ix_member_userId"), table_name="member")
    op.drop_index(op.f("ix_member_organizationId"), table_name="member")
    op.drop_table("member")
    op.drop_index(op.f("ix_invitation_organizationId"), table_name="invitation")
    op.drop_index(op.f("ix_invitation_inviterId"), table_name="invitation")
    op.drop_table("invitation")
    op.drop_index(op.f("ix_account_userId"), table_name="account")
    op.drop_table("account")
    op.drop_table("verification")
    op.drop_table("user")
    op.drop_table("subscription")
    op.drop_table("stripe_event")
    op.drop_table("ssoProvider")
    op.drop_table("scimProvider")
    op.drop_table("organization")
    op.drop_index(op.f("ix_audit_event_event"), table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_created_at"), table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_actor_id"), table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_index(op.f("ix_apikey_referenceId"), table_name="apikey")
    op.drop_index(op.f("ix_apikey_key"), table_name="apikey")
    op.drop_table("apikey")
