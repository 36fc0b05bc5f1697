"""attain.preload: the model's libraries load in a thread while `attain forecast` reads, which
only pays if the forecast's own modules do not import them first."""

from __future__ import annotations

import json
import subprocess
import sys

MODEL_LIBRARIES = ("joblib", "lightgbm", "scipy", "sklearn")


def loaded_after(code: str) -> list[str]:
    """The model libraries a fresh interpreter holds after running `code`."""
    report = f"""
import json, sys
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}} & set({MODEL_LIBRARIES!r}))))
"""
    result = subprocess.run(
        [sys.executable, "-c", code + report], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_the_forecast_modules_leave_the_model_libraries_to_the_preload() -> None:
    code = """
import attain.forecast.calibrated, attain.forecast.forecast, attain.leads.model
import attain.reports.forecast
"""
    assert loaded_after(code) == []


def test_preload_imports_the_modules_in_its_thread() -> None:
    code = """
import threading
from attain.leads.model import PRELOADED
from attain.preload import preload

thread = preload(*PRELOADED)
assert thread.daemon and thread is not threading.main_thread()
thread.join()
assert all(name in sys.modules for name in PRELOADED)
"""
    # LightGBM without scikit-learn (attain.leads.boosting); SciPy is its sparse matrices.
    assert loaded_after("import sys" + code) == ["lightgbm", "scipy"]


def test_lightgbm_loads_without_scikit_learn_which_still_imports_later() -> None:
    code = """
import sys
import attain.leads.boosting
assert "sklearn" not in sys.modules
from sklearn.linear_model import LogisticRegression
import lightgbm
LogisticRegression().fit([[0.0], [1.0]], [0, 1])
"""
    assert loaded_after(code) == ["joblib", "lightgbm", "scipy", "sklearn"]


def test_a_module_that_fails_leaves_the_others_and_its_error_to_the_caller() -> None:
    code = """
import sys
from attain.preload import preload

preload("attain_no_such_module", "colorsys").join()
assert "colorsys" in sys.modules
try:
    import attain_no_such_module
except ModuleNotFoundError:
    pass
else:
    raise AssertionError("the caller's import must fail as it would without the preload")
"""
    assert loaded_after(code) == []


def test_numpy_modules_lightgbm_needs_not_are_loaded_at_their_first_use() -> None:
    """SciPy's `from numpy import *` reaches numpy.f2py and numpy.testing (0.13 s): put in place
    lazily by attain.leads.boosting, they load only when something uses them, and then work."""
    code = """
import sys
import attain.leads.boosting
assert "numpy.f2py.crackfortran" not in sys.modules and "unittest" not in sys.modules
import numpy
numpy.testing.assert_equal(1, 1)
from numpy import f2py
assert f2py.__name__ == "numpy.f2py" and callable(f2py.run_main)
assert "numpy.f2py.crackfortran" in sys.modules
"""
    assert loaded_after(code) == ["lightgbm", "scipy"]
