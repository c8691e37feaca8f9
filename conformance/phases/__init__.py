"""Stage 3, the phases: the steps that send requests and collect them as evidence.

Targeted scenarios (`scenarios/`), property-based fuzzing (`fuzzing.py`), the closing re-send
of failing GETs (`resend.py`) and the disposable channel's recreation (`disposable.py`).
Phases never judge: every judgement is a pure function in `checks/`.

Stage: phases.
"""
