"""The package's public names, its import cost, and the tabular interchange doors."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

import b2bcx.measures as measures
from b2bcx.measures.nps import nps


def test_every_public_name_resolves_to_its_module_object() -> None:
    for name in measures.__all__:
        obj = getattr(measures, name)
        module = importlib.import_module(f"b2bcx.measures.{measures._WHERE[name]}")
        assert obj is getattr(module, name), name


def test_the_names_users_need_are_public() -> None:
    need = {"measure_units", "CollectiveResult", "AgreementOptions", "DecayOptions",
            "VerdictRule", "key_drivers", "KeyDriverResult", "stage_control_map",
            "monthly_trend", "split", "individual_cx", "default_metric", "metric_label",
            "csat", "ces", "rwg", "shrout_fleiss", "TabularMixin"}  # fmt: skip
    assert need <= set(measures.__all__)
    assert set(measures.__all__) == set(measures._WHERE)
    # nps() and icc() share their module's name: not re-exported (see the docstring)
    assert not {"nps", "icc"} & set(measures.__all__)
    with pytest.raises(AttributeError):
        measures.no_such_thing  # noqa: B018


def test_import_is_light() -> None:
    # importing the package must not import the engine stack (ibis, pandas, scipy)
    code = (
        "import sys, b2bcx.measures; "
        "print(','.join(m for m in ('ibis', 'scipy', 'b2bcx.measures.collective') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "b2bcx.measures.collective" not in out.stdout
    assert "ibis" not in out.stdout.split(",")


def test_results_speak_pandas_arrow_and_html() -> None:
    r = nps([10, 9, 0, 7, 10, 10], ["a", "a", "a", "b", "b", "b"])
    frame = r.to_pandas()
    assert frame.equals(r.to_frame())
    table = r.to_arrow()
    assert isinstance(table, pa.Table) and table.num_rows == 2
    assert table.column("score").to_pylist() == pytest.approx(frame.score.tolist())
    # the Arrow PyCapsule stream: any Arrow consumer can read the result directly
    via_capsule = pa.RecordBatchReader.from_stream(r).read_all()
    assert via_capsule.equals(table)
    assert "<table" in r._repr_html_()
    assert np.isnan(r.lower).sum() == 0
