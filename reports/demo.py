"""Reports demo data: the shipped improvement-task catalogue."""

from __future__ import annotations


def load_reports_demo() -> None:
    from reports.plan_catalogue import load_shipped_catalogue

    load_shipped_catalogue()
