"""The documentation says only what is true of this checkout: its links resolve, the `tcx`
commands it shows parse with the real command line, and the paths and modules it names
exist (a module moved without its documents fails here)."""

import contextlib
import io
import re
import shlex
import unicodedata
from pathlib import Path

import pytest

from engine.reasons import (
    CXL_REJ_REASON,
    ORD_REJ_REASON,
    TEXT,
    Reason,
    cxl_rej_reason,
    ord_rej_reason,
)
from gateway.cli.main import build_parser
from gateway.rest.admin import HOLDING_KINDS

ROOT = Path(__file__).resolve().parents[1]
OTHER_DOCUMENTS = (ROOT / "bench" / "RESULTS.md", ROOT / "deploy" / "README.md")
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *OTHER_DOCUMENTS])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
PACKAGES = "engine|settlement|surveillance|gateway|bench|tests|scripts|deploy|docs"
REPO_PATH = re.compile(rf"(?<![\w./~-])((?:{PACKAGES})/[\w./-]*[\w/])")
MODULE = re.compile(
    r"(?<![\w./~-])((?:engine|settlement|surveillance|gateway|bench|tests)(?:\.\w+)+)"
)
NOT_MODULES = {
    "md",
    "py",
    "toml",
    "yaml",
    "json",
    "csv",
    "log",
    "sqlite3",
    "tcxev",
    "lock",
    "sock",
    "pid",
}
MADE_BY_RUNS = ("bench/out",)  # written by the benchmarks, not in the repository


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped,
    spaces to hyphens."""
    text = heading.strip().lower()
    kept = "".join(
        c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN"
    )  # letters and numbers of any script
    return kept.replace(" ", "-")


def anchors(document: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    in_fence = False
    for line in document.read_text().splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        if in_fence or not line.startswith("#"):
            continue
        base = slug(line.lstrip("#"))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def code_lines(document: Path) -> list[str]:
    """Lines of fenced and indented code blocks, continuation backslashes joined."""
    lines: list[str] = []
    in_fence = False
    in_indented = False
    previous_blank = True
    for line in document.read_text().splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            lines.append(line)
        elif line.startswith("    ") and (in_indented or previous_blank):
            in_indented = True
            lines.append(line)
        elif line.strip():
            in_indented = False
        previous_blank = not line.strip()
    joined: list[str] = []
    for line in lines:
        if joined and joined[-1].endswith("\\"):
            joined[-1] = joined[-1][:-1] + " " + line.strip()
        else:
            joined.append(line.strip())
    return joined


def shown_commands(document: Path) -> list[tuple[str, bool]]:
    """Every `tcx ...` command in a code block or an inline code span, with its arguments,
    and whether it is shown whole (a code block's line) or named in a sentence (an inline
    span, which may leave out required arguments). Not output such as the banner
    "tcx — Tianjin carbon exchange"."""
    text = document.read_text()
    candidates = [(line, True) for line in code_lines(document)]
    candidates += [(span, False) for span in INLINE_CODE.findall(text)]
    commands = []
    for candidate, whole in candidates:
        for words in shell_commands(candidate):
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value tcx ...
                words.pop(0)
            if words[:1] == ["tcx"] and re.match(r"[a-z-]", "".join(words[1:2]) or "-"):
                commands.append((shlex.join(optional_parts_given(words[1:])), whole))
    return commands


def shell_commands(line: str) -> list[list[str]]:
    """The words of each command on a shell line (`pip install . && tcx up --demo`)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for word in lexer:
        if set(word) <= set("();<>|&"):
            commands.append([])
        else:
            commands[-1].append(word)
    return commands


def optional_parts_given(words: list[str]) -> list[str]:
    """A synopsis's optional parts (`[--account A0101]`) as if given, so their flags are
    checked too, and its placeholders (`--amount FEN`, capitals only) as a value that any
    argument takes."""
    given = [word.removeprefix("[").removesuffix("]") for word in words]
    return ["1" if re.fullmatch(r"[A-Z][A-Z_]*", word) else word for word in given]


def refusal(arguments: list[str]) -> str | None:
    """Why the real parser refuses `arguments`, or None when it takes them. A command that
    stops at a group (`tcx admin`) names the group and is taken; one that ends in `...`
    must be a command the parser takes up to there (it is asked for that command's help)."""
    if "..." in arguments:
        arguments = [*arguments[: arguments.index("...")], "--help"]
    parser = build_parser()
    node = parser
    for word in arguments:
        groups = [a for a in node._actions if a.__class__.__name__ == "_SubParsersAction"]
        if word.startswith("-") or not groups or word not in groups[0].choices:
            break
        node = groups[0].choices[word]
    else:
        if any(a.__class__.__name__ == "_SubParsersAction" for a in node._actions):
            return None
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            parser.parse_args(arguments)
    except SystemExit as leaving:
        message = errors.getvalue().strip().splitlines()[-1] if leaving.code else ""
        return None if not message or "can't open" in message else message  # the reader's file
    return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=ids(DOCUMENTS))
def test_every_relative_link_resolves_to_a_file_and_heading(document):
    broken = []
    for target in LINK.findall(document.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    assert not broken, broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=ids(DOCUMENTS))
def test_every_tcx_command_shown_exists_with_its_flags(document):
    refused = {}
    for command, whole in shown_commands(document):
        reason = refusal(shlex.split(command))
        if reason and (whole or "arguments are required" not in reason):
            refused[f"tcx {command}"] = reason
    assert not refused, refused


@pytest.mark.parametrize("document", DOCUMENTS, ids=ids(DOCUMENTS))
def test_every_path_and_module_named_exists(document):
    text = document.read_text()
    missing = [
        path
        for path in REPO_PATH.findall(text)
        if not path.startswith(MADE_BY_RUNS) and not (ROOT / path).exists()
    ]
    missing += [name for name in MODULE.findall(text) if not module_exists(name)]
    assert not missing, f"{document.name} names paths that are not in the repository: {missing}"


def module_exists(dotted: str) -> bool:
    """`a.b.c.Name`: each part is a package or a module, until a module is reached (what
    follows it are names inside it)."""
    parts = dotted.split(".")
    if parts[-1] in NOT_MODULES:
        return True  # a file name (surveillance.md), checked as a path or a link
    place = ROOT
    for part in parts:
        if (place / f"{part}.py").exists():
            return True
        place = place / part
        if not place.is_dir():
            return False
    return True


def test_the_member_apis_reason_codes_are_the_engines():
    """Every reason an order, cancel or amend can be refused with, with its FIX codes and
    text as the engine sends them."""
    rows = re.findall(
        r"^\| `(\w+)` \| (\d+) \| (\d+) \| (.+) \|$",
        (ROOT / "docs" / "member-api.md").read_text(),
        re.MULTILINE,
    )
    documented = {name: (int(order), int(cancel), text) for name, order, cancel, text in rows}
    for reason in {*ORD_REJ_REASON, *CXL_REJ_REASON}:
        assert reason.name.lower() in documented, f"{reason.name.lower()} not in member-api.md"
    for name, codes in documented.items():
        reason = Reason[name.upper()]
        assert codes == (ord_rej_reason(reason), cxl_rej_reason(reason), TEXT[reason]), name


def test_operating_names_every_holding_movement():
    table = (ROOT / "docs" / "operating.md").read_text().split("Holding movements")[1]
    named = set(re.findall(r"`(\w+)`", table.split("\n\n")[1]))
    assert named >= set(HOLDING_KINDS), set(HOLDING_KINDS) - named


def test_the_checks_find_what_they_look_for():
    """The checks above see the commands, links and names they are meant to judge."""
    assert refusal(["member", "buy", "YOU-1", "TJEA25", "10", "50.50"]) is None
    assert refusal(["member", "buy", "YOU-1", "TJEA25", "10", "--no-such-flag"])
    assert refusal(["no-such-command"])
    assert refusal(["admin"]) is None
    assert refusal(["admin", "--url", "http://HOST:8000", "..."]) is None
    assert refusal(["admin", "no-such-command", "..."])
    assert not module_exists("gateway.member_client.MemberClient")  # the old flat layout
    assert module_exists("gateway.client.member_client.MemberClient")
    assert optional_parts_given(["restrictions", "[--account", "A0101]"]) == [
        "restrictions",
        "--account",
        "A0101",
    ]
    assert optional_parts_given(["--amount", "FEN", "CE1"]) == ["--amount", "1", "CE1"]
    readme = ROOT / "README.md"
    assert ("up --demo", True) in shown_commands(readme)
    assert "quick-start" in anchors(readme)
    assert slug("Deploying: Kafka, PostgreSQL, Prometheus, Grafana") == (
        "deploying-kafka-postgresql-prometheus-grafana"
    )
    assert slug("The `market_data_topic` setting") == "the-market_data_topic-setting"
