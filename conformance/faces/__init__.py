"""Stage 0, the faces: the shells a user starts a run from.

The CLI (`cli.py`), the pytest plugin (`pytest_plugin.py`), the console that renders a run's
progress (`console.py`) and `init` (a profile to start from). Each is a thin shell over the
one runner; the Python face, `conformance.run()`, is the package itself. Nothing below
imports from here.

Stage: faces.
"""
