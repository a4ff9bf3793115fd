"""App routes outside the Kernia mount that need an admin session (cookie auth, role admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from kernia.integrations.session import SESSION_COOKIE_NAME, resolve_session
from kernia.types.adapter import Where

from .roles import is_admin_user

router = APIRouter(prefix="/admin", tags=["admin"])


async def require_admin(request: Request) -> str:
    """The admin's user id; 401 without a valid session, 403 for a non-admin."""
    kernia = request.app.state.runtime.kernia
    session = await resolve_session(kernia, request.cookies.get(SESSION_COOKIE_NAME))
    if session is None:
        raise HTTPException(status_code=401, detail="UNAUTHORIZED")
    user = await kernia.context.adapter.find_one(
        model="user", where=(Where(field="id", value=session.user_id),)
    )
    if user is None or not is_admin_user(user):
        raise HTTPException(status_code=403, detail="FORBIDDEN")
    return session.user_id


@router.get("/audit-events")
async def list_audit_events(
    request: Request,
    event: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=100, description="a user id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The newest events first, of one kind and/or one actor (where an incident review of an account starts:
    on a busy instance the latest rows are mostly other people's)."""
    await require_admin(request)
    events = await request.app.state.runtime.audit.list(event=event, actor=actor, limit=limit)
    return {"events": events}
