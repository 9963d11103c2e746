"""The back-office sidebar (core.menu): pages grouped under headings, in a fixed order, each
person seeing only the groups and pages their roles open."""

from __future__ import annotations

import re

from core.models import Role


def _menu(client) -> list[tuple[str, list[str]]]:
    """(group heading, page labels) in the order shown; "" for the landing group."""
    page = client.get("/quan-tri/").get_data(as_text=True)
    nav = re.search(r'<nav class="o-nav".*?</nav>', page, re.S).group(0)
    groups = []
    for heading, items in re.findall(r'(?:<h2 class="o-nav-group"[^>]*>([^<]*)</h2>\s*)?'
                                     r'<ul[^>]*>(.*?)</ul>', nav, re.S):
        groups.append((heading, re.findall(r'<a href="[^"]*"[^>]*>([^<]*)</a>', items)))
    return groups


def test_a_system_administrator_sees_every_group_in_order(client, login, make_user):
    login(client, make_user(Role.SYSTEM_ADMIN))
    menu = dict(_menu(client))
    assert [heading for heading, _items in _menu(client)] == [
        "", "Organisation", "Surveys", "PAKN", "Reports", "System"]
    assert menu[""] == ["My work"]
    assert {"Agencies and units", "Staff accounts", "Working-day calendar"} == set(
        menu["Organisation"])
    assert {"QR codes and posters", "Questionnaires", "Survey campaigns", "Dossiers"} <= set(
        menu["Surveys"])
    assert {"PAKN inbox", "Enter a PAKN", "PAKN routing rules", "PAKN deadlines"} <= set(
        menu["PAKN"])
    assert {"SIPAS dashboard", "Periodic reports", "Dossier ratings"} <= set(menu["Reports"])
    assert {"Settings", "API keys", "Audit log", "Outbox"} == set(menu["System"])
    assert sum(len(items) for items in menu.values()) >= 25  # every page, each once
    labels = [label for items in menu.values() for label in items]
    assert len(labels) == len(set(labels))


def test_a_handler_sees_only_the_groups_of_their_work(client, login, make_user, make_unit):
    login(client, make_user(Role.HANDLER, make_unit("A")))
    menu = _menu(client)
    assert [heading for heading, _items in menu] == ["", "Organisation", "PAKN"]
    assert dict(menu)["PAKN"] == ["My unit's PAKN", "Published answers", "Legal documents"]


def test_group_headings_are_translated(client_vi, login, make_user):
    login(client_vi, make_user(Role.SYSTEM_ADMIN))
    headings = [heading for heading, _items in _menu(client_vi)]
    assert headings == ["", "Cơ cấu tổ chức", "Khảo sát", "Phản ánh, kiến nghị", "Báo cáo",
                        "Hệ thống"]
