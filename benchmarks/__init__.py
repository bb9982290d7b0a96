"""Side-by-side speed benchmarks of nnscratch against its peers (issue "4/7 Speed").

Not part of the installed package: run from the repository root with
``python benchmarks/run.py`` (or ``python -m benchmarks.run``); see
``benchmarks/README.md``.
"""
