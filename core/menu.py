"""The back-office menu: each package registers its pages, each in a group; the layout shows
the groups in which the signed-in person has at least one page, in a fixed order, each under
its heading (organisation, surveys, PAKN, reports, system), instead of one long list."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.access import Permission, can, can_globally


class MenuGroup(StrEnum):
    START = "start"  # the landing page, above every group and without a heading
    ORGANISATION = "organisation"
    SURVEYS = "surveys"
    PAKN = "pakn"
    REPORTS = "reports"
    SYSTEM = "system"


GROUP_LABELS = {
    MenuGroup.START: None,
    MenuGroup.ORGANISATION: _l("Organisation"),
    MenuGroup.SURVEYS: _l("Surveys"),
    MenuGroup.PAKN: _l("PAKN"),
    MenuGroup.REPORTS: _l("Reports"),
    MenuGroup.SYSTEM: _l("System"),
}


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: object
    permission: Permission | None = None
    global_only: bool = False
    # Other permissions that also show the item (e.g. handlers or approvers).
    any_of: tuple[Permission, ...] = ()
    # An item registered without a group is a landing page (like "My work"), shown first.
    group: MenuGroup = MenuGroup.START


# Core's own entries; each package adds its own from its contributes.py (core.capabilities).
MENU: list[MenuItem] = [
    MenuItem("admin.dashboard", _l("My work")),
    MenuItem("admin.units", _l("Agencies and units"), Permission.UNITS_VIEW,
             group=MenuGroup.ORGANISATION),
    MenuItem("admin.users", _l("Staff accounts"), Permission.USERS_MANAGE,
             group=MenuGroup.ORGANISATION),
    MenuItem("admin.calendar", _l("Working-day calendar"), Permission.UNITS_VIEW,
             group=MenuGroup.ORGANISATION),
    MenuItem("admin.settings", _l("Settings"), Permission.SETTINGS_MANAGE,
             group=MenuGroup.SYSTEM),
    MenuItem("admin.api_keys", _l("API keys"), Permission.APIKEYS_MANAGE, group=MenuGroup.SYSTEM),
    MenuItem("admin.audit", _l("Audit log"), Permission.AUDIT_VIEW, group=MenuGroup.SYSTEM),
    MenuItem("admin.outbox", _l("Outbox"), Permission.SETTINGS_MANAGE, global_only=True,
             group=MenuGroup.SYSTEM),
]


def add_menu_item(item: MenuItem) -> None:
    if all(existing.endpoint != item.endpoint for existing in MENU):
        MENU.append(item)


def _allowed(item: MenuItem) -> bool:
    if item.permission is None:
        return True
    check = can_globally if item.global_only else can
    return any(check(current_user, perm) for perm in (item.permission, *item.any_of))


def office_menu() -> list[dict]:
    """The groups the signed-in person may open, in order, each with its items (registration
    order within a group) and its label (None for the landing group)."""
    groups: dict[MenuGroup, list[dict]] = {group: [] for group in MenuGroup}
    for item in MENU:
        if item.endpoint not in current_app.view_functions or not _allowed(item):
            continue
        url = url_for(item.endpoint)
        groups[item.group].append({"url": url, "label": item.label,
                                   "active": request.path == url})
    return [{"key": group.value, "label": GROUP_LABELS[group], "items": items}
            for group, items in groups.items() if items]
