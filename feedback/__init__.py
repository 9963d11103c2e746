"""PAKN (phản ánh, kiến nghị): intake on every channel, register and triage, routing, deadlines,
answers with approval, notifications and publication. May import ``core`` only.

Built by the PAKN capability (issue #5); until then this package holds nothing and is not listed
in ``CAPABILITY_PACKAGES``.
"""
