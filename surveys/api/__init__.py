"""Survey endpoints of the JSON API: one ``blp`` (a core.api Blueprint) per module, each listed
in surveys/contributes.py."""
