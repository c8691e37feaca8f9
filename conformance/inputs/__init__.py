"""Stage 1, the inputs: what the user gives, validated into a Target before any request.

The profile (`profile.py`), the vendor's manifest (`manifest.py`), the contract spec
(`spec.py`) and the contract's plain facts (`contract.py`). Every problem with them is one
clear error (exit 2), found here.
"""
