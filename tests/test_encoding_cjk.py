"""Perfmon exports of Chinese and Korean Windows are written in their ANSI code page (cp936,
cp949), as Japanese ones are in cp932: the header is read in the code page under which its
counter names are known (or, for Korean, its words are Hangul), never as cp1252 mojibake."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_encoding_cyrillic import _perfmon

from hbtriage.sources import read_one
from hbtriage.sources.base import InputFile

FIX = Path(__file__).parent / "fixtures" / "perfmon"


def _item(path: Path) -> InputFile:
    return InputFile(display=path.name, path=str(path), size=path.stat().st_size)


def test_chinese_perfmon_in_cp936_is_read_with_its_zone_and_processor_time() -> None:
    # Was cp1252: no counter read, the zone lost ('assumed UTC') and the warning naming
    # '´¦ÀíÆ÷' for 处理器.
    out = read_one(_item(FIX / "zh-cp936_relog_china-standard-time.csv"))
    assert out.result is not None and out.encoding == "cp936"
    counters = out.result.counters
    assert counters is not None
    assert counters["counter"].unique().to_list() == ["% Processor Time"]
    assert counters.height == 40 and counters["value"].null_count() == 1  # the first " "
    assert counters["value"].drop_nulls().to_list()[:2] == [2.0, 2.0]
    assert out.result.zone == "中国标准时间" and out.result.offset_min == 480


#: Chinese words for counters the catalog does not name (they must not decide the code page).
_ZH_OTHER = ["处理器(_Total)\\% DPC 时间", "内存\\可用 MB", "网络接口(Intel)\\已丢弃的接收数据包"]
_KO = ["프로세서(_Total)\\% 프로세서 시간", "메모리\\사용 가능한 MB", "프로세서(_Total)\\DPC 비율"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(others=st.lists(st.sampled_from(_ZH_OTHER), max_size=3), first=st.booleans())
def test_property_chinese_header_in_cp936_keeps_the_known_counter(
    tmp_path: Path, others: list[str], first: bool
) -> None:
    known = "处理器(_Total)\\% 处理器时间"
    header = [known, *others] if first else [*others, known]
    path = _perfmon(tmp_path, header, "cp936", "中国标准时间", -480)
    out = read_one(_item(path))
    assert out.result is not None and out.encoding == "cp936"
    assert out.result.counters is not None
    assert out.result.counters["counter"].unique().to_list() == ["% Processor Time"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(st.sampled_from(_KO), min_size=1, max_size=3, unique=True))
def test_property_korean_header_is_named_in_hangul_not_mojibake(
    tmp_path: Path, names: list[str]
) -> None:
    path = _perfmon(tmp_path, names, "cp949", "대한민국 표준시", -540)
    out = read_one(_item(path))
    assert out.result is not None and out.encoding == "cp949"
    (warning,) = out.result.warnings
    objects = {n.split("(")[0].split("\\")[0] for n in names}
    assert all(o in warning for o in objects), warning
    assert "perfmon names in a Windows language hbtriage does not know" in warning
