"""Helpers of the template's tests and benchmarks: plain code, no fixtures.

tests/conftest.py turns them into fixtures; benchmarks/harness.py uses them directly.

    processes   run a command to completion, or a logged background process (mirakuru)
    servers     MariaDB and Redis: throwaway ones (pytest-mysql's and pytest-redis's executors)
                or running ones, and each bake's own database, user and Redis databases
    venvs       the interpreter for a python_version (uv) and the cached virtualenv of a bake
    bakes       rendering the template and running commands in a bake
    bake_files  reading a bake's files: template residue, doubled blank lines, mentions
    ci_scripts  what a CI script line may call
"""
