"""Who may do what outside the case lifecycle.

One table, read by the services that enforce it and by the GUI that greys out what the user may not
do (DESIGN.md "Store and keys": roles worker, head, admin at a station; coordinator at the city).

Case actions have their own table (`domain.lifecycle.ACTIONS`, each with its roles); this one
covers settings, accounts, the calendar, the audit and conflicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from station_app.domain.enums import Role
from station_app.errors import PermissionDenied
from station_app.services.session import Session


class Act(StrEnum):
    """An act outside the case lifecycle that not every role may perform."""

    EDIT_SETTINGS = "edit_settings"
    CONFIRM_CONTACTS = "confirm_contacts"
    MANAGE_USERS = "manage_users"
    UNLOCK_USERS = "unlock_users"
    IMPORT_CALENDAR = "import_calendar"
    AUDIT = "audit"
    RESOLVE_CONFLICTS = "resolve_conflicts"


WHO: dict[Act, frozenset[Role]] = {
    Act.EDIT_SETTINGS: frozenset({Role.ADMIN, Role.HEAD}),
    Act.CONFIRM_CONTACTS: frozenset({Role.ADMIN}),
    Act.MANAGE_USERS: frozenset({Role.ADMIN}),
    Act.UNLOCK_USERS: frozenset({Role.ADMIN, Role.HEAD}),
    Act.IMPORT_CALENDAR: frozenset({Role.ADMIN, Role.HEAD}),
    Act.AUDIT: frozenset({Role.ADMIN, Role.HEAD}),
    Act.RESOLVE_CONFLICTS: frozenset({Role.ADMIN, Role.HEAD, Role.COORDINATOR}),
}

STATION_ROLES = (Role.WORKER, Role.HEAD, Role.ADMIN)


def may(session: Session, act: Act) -> bool:
    """True when the logged-in user's role may perform `act` (the table `WHO`)."""
    return session.role in WHO[act]


def require(session: Session, act: Act) -> None:
    """Refuse `act` for a role the table `WHO` does not list.

    Raises:
        PermissionDenied: with the one-line message the command line and the GUI show.
    """
    if not may(session, act):
        raise PermissionDenied("当前账户无权执行此操作")


@dataclass(frozen=True)
class Permissions:
    """What the logged-in user may do outside case actions, for the GUI to draw.

    `assignable_roles`: the roles an account manager may give on this store, in display order
    (empty when the user manages no accounts).
    """

    edit_settings: bool
    confirm_contacts: bool
    manage_users: bool
    unlock_users: bool
    import_calendar: bool
    audit: bool
    resolve_conflicts: bool
    assignable_roles: tuple[Role, ...]

    @property
    def sees_users(self) -> bool:
        """The accounts panel is shown to whoever may manage or unlock accounts."""
        return self.manage_users or self.unlock_users


def permissions(session: Session) -> Permissions:
    """The `Permissions` of the logged-in user, from the table `WHO`."""
    manage = may(session, Act.MANAGE_USERS)
    return Permissions(
        edit_settings=may(session, Act.EDIT_SETTINGS),
        confirm_contacts=may(session, Act.CONFIRM_CONTACTS),
        manage_users=manage,
        unlock_users=may(session, Act.UNLOCK_USERS),
        import_calendar=may(session, Act.IMPORT_CALENDAR),
        audit=may(session, Act.AUDIT),
        resolve_conflicts=may(session, Act.RESOLVE_CONFLICTS),
        assignable_roles=STATION_ROLES if manage else (),
    )
