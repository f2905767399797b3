"""Choosing the encoder's precision (no model loaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from b2bcx.errors import ConfigurationError
from b2bcx.text import MiniLM
from b2bcx.text import encoder as enc


def test_explicit_precision_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(enc.PRECISION_ENV, "bf16")
    assert enc.resolve_precision("fp32") == "fp32"
    assert enc.resolve_precision() == "bf16"
    monkeypatch.setenv(enc.PRECISION_ENV, " FP32 ")
    assert enc.resolve_precision() == "fp32"


@pytest.mark.parametrize("native", [True, False])
def test_auto_follows_the_cpu(monkeypatch: pytest.MonkeyPatch, native: bool) -> None:
    monkeypatch.delenv(enc.PRECISION_ENV, raising=False)
    monkeypatch.setattr(enc, "native_bf16", lambda: native)
    assert enc.resolve_precision() == ("bf16" if native else "fp32")
    assert enc.resolve_precision("auto") == ("bf16" if native else "fp32")


def test_unknown_precision_names_the_choices_and_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(enc.PRECISION_ENV, "fp8")
    with pytest.raises(ConfigurationError, match=r"'fp8'.*auto, fp32, bf16.*B2BCX_TEXT_PRECISION"):
        MiniLM()


def test_precision_is_part_of_the_encoder_name() -> None:
    assert MiniLM(precision="fp32").name == "all-MiniLM-L6-v2" == MiniLM.name
    assert MiniLM(precision="bf16").name == "all-MiniLM-L6-v2-bf16"
    assert MiniLM(precision="int8").name == "all-MiniLM-L6-v2-int8"


@pytest.mark.parametrize(
    ("flags", "native"),
    [("fpu sse avx2 avx512f avx512_bf16 avx512_vnni", True), ("fpu avx2 amx_bf16 amx_tile", True),
     ("fpu sse avx2 avx512f avx512_vnni", False), (None, False)],
)  # fmt: skip
def test_native_bf16_reads_the_cpu_flags(tmp_path: Path, flags: str | None, native: bool) -> None:
    info = tmp_path / "cpuinfo"
    if flags is not None:
        info.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n")
    assert enc.native_bf16(info) is native
