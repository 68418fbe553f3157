"""``hbtriage plan``: the commands to paste on each server so that ``analyze`` gets what it needs.

The knowledge (counter list, commands, texts in English and Japanese) is data in
``catalog/plan.toml``; this module only renders it.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hbtriage.errors import CatalogError, UsageError
from hbtriage.warning_text import warn

OSES = ("windows", "linux")
LANGS = ("en", "ja")
_HOST_PLACEHOLDER = {"windows": "%COMPUTERNAME%", "linux": "$(hostname)"}


@cache
def load_plan() -> dict[str, Any]:
    """The parsed ``catalog/plan.toml``."""
    text = resources.files("hbtriage").joinpath("catalog/plan.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def plan_counters() -> list[str]:
    """Perfmon counter paths the plan asks for (``\\Object(*)\\Counter``)."""
    return [c["path"] for c in load_plan()["counter"]]


@cache
def _signature_patterns() -> dict[str, tuple[str, str]]:
    """``{signature id: (pattern, example)}`` from ``catalog/signatures/*.toml``."""
    folder = resources.files("hbtriage").joinpath("catalog/signatures")
    found: dict[str, tuple[str, str]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            for sig in tomllib.loads(entry.read_text(encoding="utf-8")).get("signature", []):
                found[sig["id"]] = (sig["pattern"], sig.get("example", ""))
    return found


def trigger_signatures(os: str) -> list[tuple[str, str, str]]:
    """The signatures whose line stops the trace on ``os``: ``(id, pattern, example)`` each.

    Raises :class:`CatalogError` when ``plan.toml`` names a signature the catalog lacks.
    """
    known = _signature_patterns()
    out = []
    for sid in load_plan()["trigger"][os]:
        if sid not in known:
            said = warn("plan_no_signature", signature=repr(sid))
            raise CatalogError("plan.toml", f"trigger.{os}", said)
        out.append((sid, *known[sid]))
    return out


def trigger_pattern(os: str) -> str:
    """The trigger as one regular expression (the signatures' own patterns, joined with ``|``).

    The same text serves .NET (``Select-String``/``Regex``) and Python; hbtriage matches it
    without regard to case, as the catalog does.
    """
    pats = [p for _, p, _ in trigger_signatures(os)]
    return pats[0] if len(pats) == 1 else "|".join(f"(?:{p})" for p in pats)


# Characters that would end or change the quoted pattern in the rendered shell line.
_UNQUOTABLE = re.compile(r"[\x00-\x1f\"'`$!]")


def trigger_ere(os: str) -> str:
    """The trigger pattern as a POSIX extended regex for ``grep -E`` (``\\d`` → ``[0-9]``,
    ``\\s`` → a space: the catalog lets a line break stand between a message's words, and grep
    reads one line at a time; the result is valid Python ``re`` too)."""
    ere = trigger_pattern(os).replace("(?:", "(").replace(r"\d", "[0-9]").replace(r"\s", " ")
    if "\\" in ere or _UNQUOTABLE.search(ere):
        raise CatalogError("plan.toml", f"trigger.{os}", warn("plan_not_grep", pattern=repr(ere)))
    return ere


def _trigger_ps(os: str) -> str:
    pat = trigger_pattern(os)
    # Passed in double quotes to powershell -File from cmd: a quote or a trailing backslash
    # would change the argument.
    if '"' in pat or pat.endswith("\\") or "%" in pat:
        raise CatalogError(
            "plan.toml", f"trigger.{os}", warn("plan_not_argument", pattern=repr(pat))
        )
    return pat


def package_dir() -> str:
    """Where the installed hbtriage keeps the files ``--write-profiles`` writes out."""
    return str(resources.files("hbtriage").joinpath("catalog"))


def profile_files() -> list[str]:
    """Package paths (under ``catalog/``) of the files ``--write-profiles`` writes."""
    return [f["path"] for f in load_plan()["profile_file"]]


def write_profiles(folder: Path) -> list[Path]:
    """Write the recording/export profiles and the trigger script into ``folder``.

    Creates ``folder`` if needed. Refuses, before writing anything, when a target exists (a
    user's file is never overwritten) or ``folder`` is a file: :class:`UsageError` naming the
    path; so is a folder that cannot be made or a file that cannot be written (the files written
    so far are then removed). A profile not shipped in this installation is skipped. Returns the
    files written.
    """
    root = resources.files("hbtriage").joinpath("catalog")
    sources = [(rel, root.joinpath(rel)) for rel in profile_files()]
    sources = [(rel, src) for rel, src in sources if src.is_file()]
    if folder.exists() and not folder.is_dir():
        raise UsageError(warn("usage_profiles_is_file", path=folder))
    targets = [(folder / Path(rel).name, src) for rel, src in sources]
    for target, _ in targets:
        if target.exists() or target.is_symlink():
            raise UsageError(warn("usage_profiles_exists", path=target))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        error = exc.strerror or str(exc)
        raise UsageError(warn("usage_profiles_cannot_create", path=folder, error=error)) from None
    written: list[Path] = []
    try:
        for target, src in targets:
            with open(target, "xb") as out:  # "x": never replace a file that appeared meanwhile
                written.append(target)
                out.write(src.read_bytes())
    except OSError as exc:
        # A full disk: no part of a profile is left to be taken for a whole one. Only files
        # this call created are removed ("x" above).
        for path in written:
            path.unlink(missing_ok=True)
        reason = warn("write_failed", error=exc.strerror or str(exc))
        raise UsageError(warn("at_file", path=target, reason=reason)) from None
    return written


def _quote_counters(paths: list[str]) -> str:
    # Double quotes work the same in cmd.exe and PowerShell; '%' is left alone by an
    # interactive cmd and PowerShell (paste the lines, do not put them in a .bat file).
    return " ".join(f'-c "{p}"' if i == 0 else f'"{p}"' for i, p in enumerate(paths))


def _fill(text: str, fills: dict[str, str]) -> str:
    for key, value in fills.items():
        if key in text:
            text = text.replace(key, value)
    return text


#: A host name the plan writes into commands to paste: a computer, DNS or ICM node name, or
#: an address (IPv6 too). Anything else (``;``, ``$(...)``, quotes, spaces, a newline or
#: an escape sequence) would be run by the shell it is pasted into, or act on the terminal.
_HOST_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,254}")


def render_plan(os: str, hosts: list[str], lang: str) -> str:
    """Plain text plan for ``os`` ("windows" or "linux"), one command block per host.

    With no hosts the commands use the machine's own name (``%COMPUTERNAME%`` /
    ``$(hostname)``) so they can be pasted anywhere. ``lang`` is "en" or "ja".
    Raises :class:`UsageError` for an unknown ``os`` or ``lang``.
    """
    if os not in OSES:
        raise UsageError(f"unknown --os {os!r}: expected one of {', '.join(OSES)}")
    if lang not in LANGS:
        raise UsageError(f"unknown --lang {lang!r}: expected one of {', '.join(LANGS)}")
    data = load_plan()
    meta = data["meta"]
    folder = meta["windows_dir"] if os == "windows" else meta["linux_dir"]
    counters = _quote_counters(plan_counters())
    fills = {
        "{counters}": counters,
        "{dir}": folder,
        "{sep}": "\\" if os == "windows" else "/",
        "{trigger_ps}": _trigger_ps(os),
        "{trigger_ere}": trigger_ere(os),
        "{package_dir}": package_dir(),
    }
    named = list(dict.fromkeys(h.strip() for h in hosts if h.strip()))
    for name in named:
        if not _HOST_NAME.fullmatch(name):
            raise UsageError(warn("usage_plan_host", host=ascii(name)))
    targets = named or [_HOST_PLACEHOLDER[os]]
    out = [f"# {meta['title'][lang]} ({os})", ""]
    for section in data["section"]:
        if section["os"] not in (os, "both"):
            continue
        out.append(f"## {section['title'][lang]}")
        out += [_fill(ln, fills) for ln in section["text"][lang].strip().splitlines()]
        out.append("")
        if not section["commands"]:
            continue
        for host in targets:
            others = [t for t in targets if t != host]
            peer = others[0] if len(targets) == 2 else "<other-server>"
            if len(targets) > 1:
                out.append(meta["for_host"][lang].replace("{host}", host))
            for cmd in section["commands"]:
                line = _fill(cmd, fills)
                out.append("    " + line.replace("{host}", host).replace("{peer}", peer))
            out.append("")
    return "\n".join(out).rstrip() + "\n"
