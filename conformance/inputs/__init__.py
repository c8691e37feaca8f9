"""Stage 1, the inputs: what the user gives, validated into a Target before any request.

The profile (`profile.py`, its keys defined by `profile.schema.json` through
`profile_schema.py`), the vendor's manifest (`manifest.py`; a manifest URL is fetched by
the HTTP stage, http/fetch.py), the contract spec (`spec.py`) and the contract's plain facts
(`contract.py`). Every problem with them is one clear error (exit 2), found here.

Stage: inputs.
"""
