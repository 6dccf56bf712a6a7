"""A library that loads when it is first used rather than when it is imported.

`load_on_first_use("paramiko")` puts a stand-in under that name in `sys.modules`: every later
`import paramiko` gets it, and the first attribute read on it imports the real library (once, under
a lock: the first use may come from any thread) and takes over its namespace. Looking at the
stand-in's other dunder names (`__file__`, `__wrapped__`: what `inspect` and Qt's import hook ask of
every module imported) does not load it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_LOADING_DUNDERS = {"__path__", "__all__", "__version__"}  # a submodule's import, `import *`, a version


class _StandIn(types.ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._cronium_lock = threading.Lock()

    def __getattr__(self, attribute: str) -> Any:  # only called for what the stand-in lacks
        if attribute.startswith("__") and attribute not in _LOADING_DUNDERS and "__file__" not in self.__dict__:
            raise AttributeError(attribute)
        with self._cronium_lock:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]  # so that the import below loads the real one
                try:
                    real = importlib.import_module(self.__name__)
                except BaseException:
                    sys.modules[self.__name__] = self
                    raise
                self.__dict__.update(real.__dict__)
        return getattr(sys.modules[self.__name__], attribute)


def load_on_first_use(name: str) -> None:
    if name in sys.modules or importlib.util.find_spec(name) is None:
        return  # already loaded, or not installed (its first use says so)
    sys.modules[name] = _StandIn(name)

