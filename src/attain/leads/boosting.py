"""LightGBM, imported without its scikit-learn estimators when scikit-learn is not loaded yet.

`import lightgbm` imports scikit-learn (lightgbm.compat, for LGBMClassifier and friends), which
imports SciPy's statistics: 1.1 CPU s where LightGBM alone takes 0.2. Attain trains through
`lightgbm.train` and never uses those estimators, and the forecast's win model needs nothing of
scikit-learn from 2,000 examples on (attain.leads.measures), so `lightgbm()` hides scikit-learn
from LightGBM's own import. Only the importing thread is refused scikit-learn, and only during
that import: another thread may import it meanwhile, and a later `import sklearn` works (the
order LightGBM's library and scikit-learn load in is the same as LightGBM's own: its library
first). Importing this module imports LightGBM (`attain.preload` names it).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

HIDDEN = "sklearn"
REFUSED: set[int] = set()
"""The threads importing LightGBM through `lightgbm()` at the moment."""


class _Hidden(importlib.abc.MetaPathFinder):
    """Refuses `HIDDEN` and its submodules to the threads in REFUSED. Installed once and
    never removed: removing a finder while another thread walks sys.meta_path could make that
    thread skip the next finder (and miss a module); inserting one only shows it one twice."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if threading.get_ident() in REFUSED and fullname.split(".")[0] == HIDDEN:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


LAZY = ("numpy.f2py", "numpy.testing")
"""NumPy submodules that SciPy's `from numpy import *` (scipy._lib.array_api_compat, which
LightGBM's `import scipy.sparse` reaches) imports though nothing of Attain's uses them: 0.13 s
holding the GIL. `lightgbm()` puts them in place lazily (importlib.util.LazyLoader): each is
loaded at its first use."""


def _lazily(name: str) -> None:
    """Put module `name` in place without running it: it runs at its first attribute use."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)


def lightgbm() -> ModuleType:
    """The lightgbm module, imported without scikit-learn unless that is loaded already."""
    if "lightgbm" in sys.modules or HIDDEN in sys.modules:
        import lightgbm as loaded

        return loaded
    if not any(isinstance(finder, _Hidden) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Hidden())
    for name in LAZY:
        _lazily(name)
    me = threading.get_ident()
    REFUSED.add(me)
    try:
        import lightgbm as loaded
    finally:
        REFUSED.discard(me)
    return loaded


lightgbm()
