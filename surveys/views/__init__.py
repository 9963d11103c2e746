"""Survey pages: one blueprint (``bp``) per module, each listed in surveys/contributes.py."""
