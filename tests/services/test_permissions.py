"""The permissions the GUI draws are the ones the services enforce: one table, checked both ways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from station_app.domain.enums import Role
from station_app.errors import PermissionDenied
from station_app.services import audit_service, settings_service, user_service
from station_app.services.permissions import Act, permissions
from station_app.services.session import Session
from tests.conftest import FAST_KDF
from tests.services.conftest import Team

ENFORCED: dict[Act, Callable[[Session], Any]] = {
    Act.MANAGE_USERS: lambda s: user_service.add_user(s, f"new{s.user}", "worker", "long-enough-pass-9", kdf=FAST_KDF),
    Act.UNLOCK_USERS: lambda s: user_service.unlock_user(s, "shouliyuan"),
    Act.EDIT_SETTINGS: lambda s: settings_service.set_setting(s, "archive_days", 6),
    Act.CONFIRM_CONTACTS: lambda s: settings_service.confirm_department_contacts(s, ["tax"]),
    Act.AUDIT: audit_service.rebuild_projections,
}


@pytest.mark.parametrize("act", list(ENFORCED))
def test_each_role_may_exactly_what_the_service_lets_it_do(team: Team, act: Act) -> None:
    for session in (team.worker, team.head, team.admin):
        may = getattr(permissions(session), act.value)
        try:
            ENFORCED[act](session)
            done = True
        except PermissionDenied:
            done = False
        assert done == may, (act, session.role)


def test_roles_as_the_screens_show_them(team: Team) -> None:
    worker, head, admin = (permissions(s) for s in (team.worker, team.head, team.admin))
    assert not worker.sees_users and not worker.edit_settings and worker.assignable_roles == ()
    assert head.sees_users and head.unlock_users and not head.manage_users and head.edit_settings
    assert admin.manage_users and admin.assignable_roles == (Role.WORKER, Role.HEAD, Role.ADMIN)
    assert head.resolve_conflicts and not worker.resolve_conflicts
