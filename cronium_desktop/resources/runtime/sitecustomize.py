"""Cronium Desktop: `cronium` in Python scripts without an import, as in the original Cronium.

Python imports `sitecustomize` at start-up from its search path, where the run folder comes first.
The helper module itself loads on first use. A `sitecustomize` this file shadows (Debian ships
one) still runs.
"""

import builtins
import os
import sys


class _CroniumOnFirstUse:
    """Stands for the `cronium` module until a script first uses it."""

    def __getattr__(self, name):
        import cronium

        builtins.cronium = cronium
        return getattr(cronium, name)

    def __repr__(self):
        return "<module 'cronium' (loaded on first use)>"


if not hasattr(builtins, "cronium"):
    builtins.cronium = _CroniumOnFirstUse()


def _run_shadowed():
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if entry and os.path.abspath(entry) != here:
            candidate = os.path.join(entry, "sitecustomize.py")
            if os.path.isfile(candidate):
                import runpy

                runpy.run_path(candidate, run_name="sitecustomize")
                return


_run_shadowed()
