"""Regenerate docs/rule-coverage.md: `python -m tests.coverage`."""

from tests.test_mutants import COVERAGE, coverage_markdown

if __name__ == "__main__":
    COVERAGE.parent.mkdir(exist_ok=True)
    COVERAGE.write_text(coverage_markdown())
    print(f"wrote {COVERAGE}")
