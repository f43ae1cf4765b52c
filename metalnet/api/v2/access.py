"""Who may call which v2 procedure: the roles each method's descriptor declares, applied to the token table.

The token table is the one v1 uses (``--api-token``): ``admin:T`` is an admin editor, ``view:T`` an admin
viewer, ``edit@P:T`` / ``view@P:T`` an editor / viewer of project P (``edit:T`` edits every project,
``admin@P:T`` owns P). Each method's allowed roles are read from its ``MethodOptions`` (``project_roles``,
``admin_roles``, ``tenant_roles``, ``visibility``); the subject of a project-scoped call is the request's
``project``. Refusals read as metal-stack's (all ``permission_denied``, a missing token included).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import descriptor_pool
from metalstack.api.v2 import common_pb2

from metalnet.api.auth import ANONYMOUS_ADMIN, Authenticator, Principal
from metalnet.api.errors import UnauthorizedError
from metalnet.api.settings import Role

EDITOR, VIEWER, OWNER = common_pb2.PROJECT_ROLE_EDITOR, common_pb2.PROJECT_ROLE_VIEWER, common_pb2.PROJECT_ROLE_OWNER
ADMIN_EDITOR, ADMIN_VIEWER = common_pb2.ADMIN_ROLE_EDITOR, common_pb2.ADMIN_ROLE_VIEWER


@dataclass(frozen=True)
class Grant:
    """What a caller holds: an admin role, or one project role on one project (``None``: every project)."""

    admin: int = 0
    project_role: int = 0
    project: str | None = None
    authenticated: bool = False


ANONYMOUS = Grant()
#: the grant of the call being handled (set by the pipeline; handlers that answer per caller read it)
CURRENT: ContextVar[Grant] = ContextVar("metalnet_v2_grant", default=ANONYMOUS)


@dataclass(frozen=True)
class Policy:
    project_roles: frozenset[int]
    admin_roles: frozenset[int]
    tenant_roles: frozenset[int]
    visibility: int


@cache
def policy(path: str) -> Policy | None:
    """The roles of ``/<package>.<Service>/<Method>`` from its descriptor options (None: unknown)."""
    service, _, method = path.strip("/").partition("/")
    try:
        found = descriptor_pool.Default().FindMethodByName(f"{service}.{method}")
    except KeyError:
        return None
    options = found.GetOptions()
    return Policy(
        project_roles=frozenset(options.Extensions[common_pb2.project_roles]),
        admin_roles=frozenset(options.Extensions[common_pb2.admin_roles]),
        tenant_roles=frozenset(options.Extensions[common_pb2.tenant_roles]),
        visibility=options.Extensions[common_pb2.visibility],
    )


def grant_of(principal: Principal) -> Grant:
    if principal.project is None:
        if principal.role == Role.ADMIN:
            return Grant(admin=ADMIN_EDITOR, authenticated=True)
        if principal.role == Role.VIEW:
            return Grant(admin=ADMIN_VIEWER, authenticated=True)
        return Grant(project_role=EDITOR, project=None, authenticated=True)
    role = {Role.ADMIN: OWNER, Role.EDIT: EDITOR, Role.VIEW: VIEWER}[principal.role]
    return Grant(project_role=role, project=principal.project, authenticated=True)


ADMIN_GRANT = grant_of(ANONYMOUS_ADMIN)


def authenticate(authenticator: Authenticator, authorization: str | None) -> Grant:
    """The caller's grant; an absent or empty bearer token is anonymous (public methods only)."""
    if not authenticator.enabled:
        return ADMIN_GRANT
    scheme, _, token = (authorization or "").partition(" ")
    if not token.strip():
        return ANONYMOUS
    if scheme.lower() != "bearer":
        raise ConnectError(Code.UNAUTHENTICATED, "the v2 API takes a bearer token: 'Authorization: Bearer <token>'")
    try:
        return grant_of(authenticator.authenticate("POST", f"Bearer {token.strip()}", None, None))
    except UnauthorizedError as exc:
        raise ConnectError(Code.UNAUTHENTICATED, str(exc)) from None


def authorize(path: str, grant: Grant, subject: str) -> None:
    """Raise ``permission_denied`` unless ``grant`` may call ``path`` on ``subject`` (metal-stack's §5.2)."""
    found = policy(path)
    if found is None:
        raise ConnectError(Code.PERMISSION_DENIED, f'requested procedure "{path}" is not known')
    if found.visibility == common_pb2.VISIBILITY_PUBLIC or grant.admin == ADMIN_EDITOR:
        return
    if grant.authenticated and found.visibility == common_pb2.VISIBILITY_SELF:
        return
    if grant.admin == ADMIN_VIEWER and (
        ADMIN_VIEWER in found.admin_roles or VIEWER in found.project_roles
        or common_pb2.TENANT_ROLE_VIEWER in found.tenant_roles
    ):
        return
    if grant.project_role and grant.project_role in found.project_roles:
        if grant.project is None or grant.project == subject:
            return
        raise ConnectError(
            Code.PERMISSION_DENIED,
            f'access to:"{path}" with subject:"{subject}" is not allowed because it is not part of the token '
            f'permissions, allowed subjects are:["{grant.project}"]',
        )
    raise ConnectError(
        Code.PERMISSION_DENIED, f'access to:"{path}" is not allowed because it is not part of the token permissions'
    )
