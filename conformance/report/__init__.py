"""The last stage, the report: the canonical JSON document of a run and what is made of it.

The document itself (`canonical.py`, schema in `report.schema.json`), the regression view
over two documents (`baseline.py`), HAR (`har.py`), the curl line that replays a request
(`curl.py`), the versions a replay needs (`provenance.py`) and the JUnit, HTML and Markdown
renderings (`render/`), which can never disagree with the document they render.

Stage: report.
"""
