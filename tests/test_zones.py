"""Time-zone knowledge: what admins type in --tz and what perfmon headers state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tzlocal.windows_tz import win_tz

from hbtriage.errors import CatalogError
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.timeline.clocks import written_samples
from hbtriage.zones import (
    RuleChoice,
    Zone,
    build_index,
    catalog_zones,
    choose_rule,
    fitting_zones,
    fmt_offset,
    offset_changes,
    parse_zone_text,
    perfmon_zone,
    server_zones,
    utc_offset_at,
)

IANA = sorted(available_timezones())
WIN_KEYS = sorted(win_tz)
NOON = datetime(2024, 1, 15, 12, 0)


# --------------------------------------------------------------------------- what admins type


@pytest.mark.parametrize(
    ("text", "label", "iana", "fixed"),
    [
        ("Asia/Tokyo", "Asia/Tokyo", "Asia/Tokyo", None),
        ("america/chicago", "America/Chicago", "America/Chicago", None),
        ("Central Standard Time", "Central Standard Time (America/Chicago)", "America/Chicago", None),
        ("Central Daylight Time", "Central Daylight Time (America/Chicago)", "America/Chicago", None),
        ("central daylight time", "Central Daylight Time (America/Chicago)", "America/Chicago", None),
        ("Romance Daylight Time", "Romance Daylight Time (Europe/Paris)", "Europe/Paris", None),
        ("Tokyo Standard Time", "Tokyo Standard Time (Asia/Tokyo)", "Asia/Tokyo", None),
        ("W. Europe Standard Time", "W. Europe Standard Time (Europe/Berlin)", "Europe/Berlin", None),
        ("GMT Summer Time", "GMT Summer Time (Europe/London)", "Europe/London", None),
        ("Hora de verano romance", "Hora de verano romance (Europe/Paris)", "Europe/Paris", None),
        ("Hora estándar romance", "Hora estándar romance (Europe/Paris)", "Europe/Paris", None),
        ("Mitteleuropäische Sommerzeit", "Mitteleuropäische Sommerzeit (Europe/Berlin)",
         "Europe/Berlin", None),
        ("Mitteleuropäische Zeit", "Mitteleuropäische Zeit (Europe/Berlin)", "Europe/Berlin", None),
        ("Paris, Madrid (heure d'été)", "Paris, Madrid (heure d'été) (Europe/Paris)",
         "Europe/Paris", None),
        ("Paris, Madrid (heure d’été)", "Paris, Madrid (heure d’été) (Europe/Paris)",
         "Europe/Paris", None),
        ("東京 (標準時)", "東京 (標準時) (Asia/Tokyo)", "Asia/Tokyo", None),
        ("東京（標準時）", "東京（標準時） (Asia/Tokyo)", "Asia/Tokyo", None),
        ("UTC-05:00", "UTC-05:00", None, -300),
        ("UTC+9", "UTC+09:00", None, 540),
        ("GMT+09:00", "UTC+09:00", None, 540),
        ("+09:00", "UTC+09:00", None, 540),
        ("-0500", "UTC-05:00", None, -300),
        ("+05:45", "UTC+05:45", None, 345),
        ("UTC", "UTC", None, 0),
        ("Z", "UTC", None, 0),
        ("  Asia/Tokyo ", "Asia/Tokyo", "Asia/Tokyo", None),
    ],
)  # fmt: skip
def test_what_admins_type(text: str, label: str, iana: str | None, fixed: int | None) -> None:
    assert parse_zone_text(text) == Zone(label, iana, fixed)


@pytest.mark.parametrize("text", ["", "Mars/Olympus_Mons", "Central Time", "+25:00", "UTC+5:75"])
def test_unknown_text_says_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_zone_text(text)
    message = str(info.value)
    assert "\n" not in message
    if "out of range" not in message:
        assert "IANA name (Asia/Tokyo)" in message and "UTC-05:00" in message


@given(st.integers(-14 * 60, 14 * 60), st.sampled_from(["UTC{}", "GMT{}", "{}"]), st.booleans())
def test_any_fixed_offset_round_trips(minutes: int, form: str, colon: bool) -> None:
    text = fmt_offset(minutes)
    if not colon:
        text = text.replace(":", "")
    z = parse_zone_text(form.format(text))
    assert (z.iana, z.fixed_min) == (None, minutes)
    assert z.label == f"UTC{fmt_offset(minutes)}"


def _same_offsets(a: Zone, iana: str) -> bool:
    """``a`` tells the same time as the IANA zone ``iana`` over a year."""
    return all(
        utc_offset_at(a, datetime(2024, m, 1))
        == utc_offset_at(Zone(iana, iana, None), datetime(2024, m, 1))
        for m in range(1, 13)
    )


@given(st.sampled_from(IANA))
def test_any_iana_name_parses_to_itself(name: str) -> None:
    z = parse_zone_text(name)
    if z.iana is None:  # "UTC", "GMT+0", "GMT-0": also spellings of a fixed offset
        assert z.fixed_min == 0 and _same_offsets(z, name), name
    else:
        assert (z.iana, z.label) == (name, name)


@given(st.sampled_from(WIN_KEYS))
def test_any_windows_key_and_its_daylight_form_parse_to_its_iana_zone(key: str) -> None:
    want = win_tz[key]
    forms = [key, key.upper(), key.lower()]
    if "Standard Time" in key:
        forms += [key.replace("Standard Time", "Daylight Time")]
        forms += [key.replace("Standard Time", "Summer Time")]
    for form in forms:
        z = parse_zone_text(form)
        if z.iana is None:  # "UTC", "UTC+12", "UTC-02" ...: offsets in their own name
            assert _same_offsets(z, want), form
        else:
            assert z.iana == want, form
            assert z.label.endswith(f"({want})")


@given(st.text(max_size=40))
def test_garbage_raises_value_error_and_nothing_else(text: str) -> None:
    try:
        z = parse_zone_text(text)
    except ValueError as exc:
        assert "\n" not in str(exc)
    else:
        assert (z.iana is None) != (z.fixed_min is None)


def test_zone_has_exactly_one_of_iana_and_offset() -> None:
    with pytest.raises(ValueError):
        Zone("x", None, None)
    with pytest.raises(ValueError):
        Zone("x", "Asia/Tokyo", 540)


def test_fmt_offset_and_utc_offset_at() -> None:
    assert (fmt_offset(540), fmt_offset(-300), fmt_offset(0), fmt_offset(-570)) == (
        "+09:00",
        "-05:00",
        "+00:00",
        "-09:30",
    )
    chicago = parse_zone_text("America/Chicago")
    assert utc_offset_at(chicago, datetime(2013, 3, 31, 0, 36)) == -300  # CDT
    assert utc_offset_at(chicago, datetime(2013, 1, 31, 0, 36)) == -360  # CST
    aware = datetime(2013, 3, 31, 0, 36, tzinfo=ZoneInfo("UTC"))
    assert utc_offset_at(chicago, aware) == -300
    assert utc_offset_at(parse_zone_text("UTC+9"), datetime(2013, 3, 31)) == 540


# --------------------------------------------------------------------------- perfmon headers


def test_reference_case_header_follows_us_central() -> None:
    """(Central Daylight Time)(300) on 30 March 2013: US daylight time was in force."""
    z = perfmon_zone("Central Daylight Time", 300, datetime(2013, 3, 30, 19, 5))
    assert z == Zone("Central Daylight Time (America/Chicago)", "America/Chicago", None)
    # ... and the zone, not the offset, tells the time after the November change.
    assert z is not None and utc_offset_at(z, datetime(2013, 11, 4, 12)) == -360


@pytest.mark.parametrize(
    ("name", "bias", "first", "want"),
    [
        ("Hora de verano romance", -120, datetime(2024, 4, 15, 10),
         Zone("Hora de verano romance (Europe/Paris)", "Europe/Paris", None)),
        # Eastern Standard Time is UTC-4 in July: a bias of 300 does not fit, so it is fixed.
        ("Eastern Standard Time", 300, datetime(2013, 7, 1, 12),
         Zone("Eastern Standard Time (UTC-05:00)", None, -300)),
        # The repeated hour after the November change has both offsets: either fits.
        ("Eastern Standard Time", 300, datetime(2013, 11, 3, 1, 30),
         Zone("Eastern Standard Time (America/New_York)", "America/New_York", None)),
        ("Eastern Daylight Time", 240, datetime(2013, 11, 3, 1, 30),
         Zone("Eastern Daylight Time (America/New_York)", "America/New_York", None)),
        (None, -540, datetime(2023, 11, 20, 9), Zone("UTC+09:00", None, 540)),
        ("", -540, datetime(2023, 11, 20, 9), Zone("UTC+09:00", None, 540)),
        ("Nobody Knows This Zone", -60, NOON, Zone("Nobody Knows This Zone (UTC+01:00)", None, 60)),
        ("Tokyo Standard Time", -540, None, Zone("Tokyo Standard Time (UTC+09:00)", None, 540)),
        ("東京 (標準時)", None, None, Zone("東京 (標準時) (Asia/Tokyo)", "Asia/Tokyo", None)),
        ("Nobody Knows This Zone", None, NOON, None),
        (None, None, NOON, None),
    ],
)  # fmt: skip
def test_perfmon_zone(
    name: str | None, bias: int | None, first: datetime | None, want: Zone | None
) -> None:
    assert perfmon_zone(name, bias, first) == want


@given(
    st.sampled_from(WIN_KEYS),
    st.integers(-14 * 60, 14 * 60),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2037, 12, 31)),
)
def test_perfmon_zone_never_contradicts_the_stated_bias(
    key: str, bias: int, first: datetime
) -> None:
    z = perfmon_zone(key, bias, first)
    assert z is not None
    if z.fixed_min is not None:
        assert z.fixed_min == -bias
    else:
        tz = ZoneInfo(z.iana or "")
        offsets = {
            round(
                (first.replace(tzinfo=tz, fold=f).utcoffset() or timedelta(0)).total_seconds() / 60
            )
            for f in (0, 1)
        }
        assert -bias in offsets


# --------------------------------------------------------------------------- the catalog


def test_catalog_covers_the_contact_centre_zones_in_seven_languages() -> None:
    zones = {z.id: z for z in catalog_zones()}
    needed = [
        "Eastern Standard Time",
        "Central Standard Time",
        "Mountain Standard Time",
        "Pacific Standard Time",
        "GMT Standard Time",
        "W. Europe Standard Time",
        "Romance Standard Time",
        "Central Europe Standard Time",
        "E. Europe Standard Time",
        "FLE Standard Time",
        "Tokyo Standard Time",
        "India Standard Time",
        "China Standard Time",
        "AUS Eastern Standard Time",
    ]
    for zid in needed:
        z = zones[zid]
        assert z.iana == win_tz[zid]
        for lang in ("es", "de", "fr", "it", "pt", "nl", "ja"):
            assert z.standard.get(lang) and z.daylight.get(lang), (zid, lang)


def test_every_catalog_name_parses_to_its_zone() -> None:
    for z in catalog_zones():
        for by_lang in (z.standard, z.daylight):
            for names in by_lang.values():
                for name in names:
                    assert parse_zone_text(name).iana == z.iana, (z.id, name)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no [[zone]] entries"),
        ('[[zone]]\nid = "Mars Standard Time"\ntitle = "t"\nreference = "r"\n'
         '[zone.names.es]\nstandard = ["x"]\n', "not a Windows zone key"),
        ('[[zone]]\nid = "Tokyo Standard Time"\ntitle = "t"\nreference = "r"\n'
         '[zone.names.es]\nstandard = ["x"]\n'
         '[[zone]]\nid = "China Standard Time"\ntitle = "t"\nreference = "r"\n'
         '[zone.names.es]\nstandard = ["X"]\n', "is also a name of 'Tokyo Standard Time'"),
        ('[[zone]]\nid = "Tokyo Standard Time"\ntitle = "t"\nreference = "r"\n'
         'seen = ["y"]\n[zone.names.es]\nstandard = ["x"]\n', "is not among the zone's names"),
        ('[[zone]]\nid = "Tokyo Standard Time"\ntitle = "t"\nreference = "r"\n', "missing"),
        ('[[zone]]\nid = "Tokyo Standard Time"\ntitle = "t"\nreference = "r"\n'
         '[zone.names.es]\nstandard = ["China Standard Time"]\n', "another Windows zone's key"),
        ('[[zone]]\nid = "Tokyo Standard Time"\ntitle = "(UTC+09:00) Osaka"\nreference = "r"\n'
         '[zone.names.es]\nstandard = ["x"]\n[zone.titles]\nja = ["(UTC+08:00) 大阪"]\n',
         "titles.ja: '(UTC+08:00) 大阪' does not state the offset of '(UTC+09:00) Osaka'"),
    ],
)  # fmt: skip
def test_catalog_validation_names_the_entry(text: str, problem: str) -> None:
    with pytest.raises(CatalogError) as info:
        build_index(text, "zones.toml")
    assert problem in str(info.value)


def test_every_iana_name_and_every_windows_key_parse() -> None:
    """The properties above, over every name rather than a sample."""
    for name in IANA:
        z = parse_zone_text(name)
        assert z.iana == name or (z.fixed_min == 0 and _same_offsets(z, name)), name
    for key in WIN_KEYS:
        for form in {key, key.replace("Standard Time", "Daylight Time")}:
            z = parse_zone_text(form)
            assert z.iana == win_tz[key] or _same_offsets(z, win_tz[key]), form


# --------------------------------------------------------------------------- zone rules

SERVER_ZONES = list(server_zones())
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


def test_server_zones_are_the_windows_zones_the_catalog_s_first() -> None:
    assert SERVER_ZONES[:2] == ["America/New_York", "America/Chicago"]
    assert set(SERVER_ZONES) == set(win_tz.values())


@given(st.sampled_from(SERVER_ZONES), st.lists(INSTANTS, min_size=1, max_size=6))
def test_the_zone_that_wrote_the_offsets_always_fits_them(zone: str, when: list[datetime]) -> None:
    """Offsets a server wrote in its zone fit that zone, and every zone said to fit has the
    written offset at every written instant."""
    samples = [(t, utc_offset_at(Zone(zone, zone, None), t)) for t in when]
    fit = fitting_zones(samples)
    assert zone in fit
    assert fit == [z for z in SERVER_ZONES if z in fit]  # best first, as the candidates
    for z in fit:
        assert all(utc_offset_at(Zone(z, z, None), t) == off for t, off in samples)


@given(
    st.sampled_from(SERVER_ZONES),
    INSTANTS,
    st.integers(1, 400 * 24 * 60),
    st.lists(st.floats(0, 1), min_size=1, max_size=8),
)
def test_offset_changes_give_the_offset_at_every_instant_of_the_span(
    zone: str, start: datetime, minutes: int, where: list[float]
) -> None:
    end = start + timedelta(minutes=minutes)
    first, changes = offset_changes(zone, start, end)
    assert all(start < at <= end for at, _ in changes)
    assert [at for at, _ in changes] == sorted(at for at, _ in changes)
    for f in where:
        t = start + (end - start) * f
        told = next((off for at, off in reversed(changes) if at <= t), first)
        assert utc_offset_at(Zone(zone, zone, None), t) == told


@given(
    st.lists(st.sampled_from(SERVER_ZONES), min_size=1, max_size=4, unique=True),
    INSTANTS,
    st.integers(60, 60 * 24 * 30),
    st.booleans(),
)
def test_choose_rule_follows_a_zone_only_when_told_and_all_agree(
    zones: list[str], start: datetime, minutes: int, told: bool
) -> None:
    end = start + timedelta(minutes=minutes)
    choice = choose_rule(zones, start, end, told=told)
    same = len({offset_changes(z, start, end) for z in zones}) == 1
    if told and same:
        assert choice == RuleChoice(zones[0])
    else:
        assert choice.iana is None
    if choice.apart:  # named: each zone with its first change in the span, or none
        for z, change in choice.apart:
            assert change == (offset_changes(z, start, end)[1][:1] or (None,))[0]
    moves = any(offset_changes(z, start, end)[1] for z in zones)
    assert bool(choice.apart) == (choice.iana is None and (moves or (told and not same)))


def test_choose_rule_on_the_us_spring_change_of_2013() -> None:
    start, end = datetime(2013, 3, 8, tzinfo=UTC), datetime(2013, 3, 12, tzinfo=UTC)
    change = (datetime(2013, 3, 10, 7, tzinfo=UTC), -240)
    eastern = ["America/New_York", "America/Indianapolis"]  # the same offsets that week
    assert choose_rule(eastern, start, end, told=True) == RuleChoice("America/New_York")
    assert choose_rule(eastern, start, end, told=False) == RuleChoice(
        None, (("America/New_York", change),)
    )
    assert choose_rule(["America/New_York", "America/Bogota"], start, end, told=True) == (
        RuleChoice(None, (("America/New_York", change), ("America/Bogota", None)))
    )
    assert choose_rule(["America/Bogota", "America/Lima"], start, end, told=False) == RuleChoice(
        None
    )


@given(
    st.sampled_from(SERVER_ZONES),
    INSTANTS,
    st.lists(st.integers(1, 6 * 3600), min_size=1, max_size=300),
)
def test_written_samples_hold_the_lines_on_both_sides_of_each_change(
    zone: str, start: datetime, steps: list[int]
) -> None:
    """What a log's written offsets tell of its zone: every line kept is one it wrote (its UTC
    instant and offset), and the lines on both sides of each change of offset are kept."""
    tz = ZoneInfo(zone)
    when = [start + timedelta(seconds=sum(steps[:i])) for i in range(len(steps))]
    local = [t.astimezone(tz) for t in when]
    offs = [round((x.utcoffset() or timedelta(0)).total_seconds() / 60) for x in local]
    events = pl.DataFrame(
        {"ts_local": [x.replace(tzinfo=None) for x in local], "offset_min": offs},
        schema={"ts_local": pl.Datetime("us"), "offset_min": pl.Int32()},
    )
    item = InputFile(display="CVP1/CVP.log", path="CVP1/CVP.log")
    got = written_samples([(item, ReadResult(kind="cvp_log", events=events))])["CVP1/CVP.log"]
    lines = {(t.replace(tzinfo=None), o) for t, o in zip(when, offs, strict=True)}
    assert set(got) <= lines
    for i in range(1, len(offs)):
        if offs[i] != offs[i - 1]:
            assert {(when[i - 1].replace(tzinfo=None), offs[i - 1])} <= set(got)
            assert {(when[i].replace(tzinfo=None), offs[i])} <= set(got)


def test_catalog_problems_are_worded_in_japanese_too() -> None:
    """zones.toml's problems were English only: worded by id now, like every catalog problem."""
    from hbtriage.warning_text import render

    text = '[[zone]]\nid = "Tokyo Standard Time"\ntitle = "t"\nreference = "r"\n'
    with pytest.raises(CatalogError) as info:
        build_index(text + 'seen = ["y"]\n[zone.names.es]\nstandard = ["x"]\n', "zones.toml")
    assert render(info.value.args[0], "ja") == (
        "zones.toml [Tokyo Standard Time]: seen の名前 'y' がこのゾーンの名前にありません"
    )
