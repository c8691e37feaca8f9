"""The suite's version, in a module of its own so that the layers below the package face
(report, HAR, provenance, certificate) can name it without importing the face; hatch reads it
from here too ([tool.hatch.version] in pyproject.toml).

Stage: values.
"""

__version__ = "0.1.0"
