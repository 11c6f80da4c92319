"""Every code block of the README and of every page under docs/ is executed or checked.

- ``python`` blocks run as written, each in a fresh process in an empty folder (HOME too, so a
  default ``Memory()`` writes nowhere else).
  Top-level ``await`` works (the block runs in an event loop), as in a notebook or ``python -m asyncio``.
- A marker on the line right before a fence changes that:
  ``<!-- not run: needs a Gemini key -->`` for a block that cannot run offline (an API key, a
  server, a template): its test is reported as skipped with that reason, after its ``memspan``
  imports were checked to resolve;
  ``<!-- run with a scripted OpenAI server -->`` for a block that calls an OpenAI model through the
  ``openai`` SDK (chat completions or the Responses API): ``OPENAI_BASE_URL`` points at a local
  ``memspan.llm.scripted`` server that answers every request with one short reply, so the framework
  really runs, offline (the OpenAI Agents SDK's upload of its own traces is switched off);
  ``<!-- continues the block above -->`` for a block that uses the names of the page's previous
  python block: it runs appended to that block, in its test.
- ``bash``/``sh``/``shell``/``console`` blocks are commands for a terminal (servers, installs): each
  ``memspan ...`` command must parse with memspan's own CLI parser, each ``pip install 'memspan[x]'``
  must name an existing extra, and each ``python path/to/script.py`` must name a file of the repository.
- ``json`` blocks must parse. ``text`` and plain blocks are output or diagrams, not code.
- Any other language fails until this file learns it, so no block goes unchecked unnoticed.

Pages whose blocks a dedicated test already runs (against a live server, or in-process with a
framework) are listed in ``RUN_ELSEWHERE``; a test checks that the named test still reads the page.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

#: page -> the test that executes its python blocks (so they are not run twice)
RUN_ELSEWHERE = {
    "docs/integrations/langchain.md": "tests/integrations/test_langchain.py",
    "docs/integrations/llamaindex.md": "tests/integrations/test_llamaindex.py",
    "docs/service.md": "tests/service/test_docs_service.py",  # against a live `memspan serve`
}

FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.M | re.S,
)
MARKER = re.compile(
    r"<!--\s*(?P<kind>not run:|run with a scripted OpenAI server|continues the block above)\s*(?P<why>.*?)\s*-->\s*$"
)
SCRIPTED_REPLY = "Final Answer: noted."
#: what a block's process runs: the block, in an event loop when it awaits at top level
RUN_BLOCK = """
import ast, asyncio, inspect, sys
code = compile(open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
namespace = {"__name__": "__main__"}
asyncio.run(eval(code, namespace)) if code.co_flags & inspect.CO_COROUTINE else exec(code, namespace)
"""
SHELL = {"bash", "sh", "shell", "console"}
PROSE = {"", "text"}


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository root
    line: int  # of the opening fence
    lang: str
    code: str
    not_run: str | None  # the marker's reason
    scripted_openai: bool = False
    continues: bool = False

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _dedent(body: str, indent: str) -> str:
    return "".join(line.removeprefix(indent) for line in body.splitlines(keepends=True))


def blocks_of(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        found.append(
            Block(
                page=path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name,
                line=text.count("\n", 0, match.start()) + 1,
                lang=match["lang"].lower(),
                code=_dedent(match["body"], match["indent"]),
                not_run=marker["why"] if marker and marker["kind"] == "not run:" else None,
                scripted_openai=bool(marker) and marker["kind"].startswith("run with"),
                continues=bool(marker) and marker["kind"].startswith("continues"),
            )
        )
    return found


def with_continuations(blocks: list[Block]) -> list[Block]:
    """Each python block with the blocks that continue it appended; continuing blocks are not listed."""
    merged: list[Block] = []
    for block in blocks:
        if block.lang != "python":
            continue
        if block.continues:
            assert merged and merged[-1].page == block.page, f"{block.id} continues no block"
            head = merged.pop()
            code = f"{head.code}\n# --- {block.id}\n{block.code}"
            merged.append(replace(head, code=code, not_run=head.not_run or block.not_run))
        else:
            merged.append(block)
    return merged


BLOCKS = [b for page in PAGES for b in blocks_of(page)]
PYTHON = [b for b in with_continuations(BLOCKS) if b.page not in RUN_ELSEWHERE]


def test_every_block_has_a_runner() -> None:
    known = {"python", "json", *SHELL, *PROSE}
    unknown = [f"{b.id} ```{b.lang}" for b in BLOCKS if b.lang not in known]
    assert not unknown, f"no runner for these blocks: teach tests/test_docs.py or use ```text: {unknown}"


def _check_memspan_imports(block: Block) -> None:
    """The block's ``memspan`` imports resolve: a renamed class or module fails even in a block not run."""
    tree = compile(
        block.code,
        block.id,
        "exec",
        flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
        dont_inherit=True,
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "memspan":
            module = importlib.import_module(str(node.module))
            for alias in node.names:
                assert hasattr(module, alias.name), f"{block.id}: {node.module} has no {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "memspan":
                    importlib.import_module(alias.name)


@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_block_runs(block: Block, tmp_path: Path) -> None:
    if block.not_run is not None:
        _check_memspan_imports(block)
        pytest.skip(f"{block.id} not run: {block.not_run}")
    script = tmp_path / "example.py"
    script.write_text(block.code, encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp_path), "CREWAI_DISABLE_TELEMETRY": "true"}
    env.pop("MEMSPAN_STORE", None)
    command = [sys.executable, "-c", RUN_BLOCK, str(script), block.id]
    with contextlib.ExitStack() as stack:
        if block.scripted_openai:
            from memspan.llm.scripted import ScriptedChatServer

            server = stack.enter_context(ScriptedChatServer(default=lambda request: SCRIPTED_REPLY))
            env.update(
                OPENAI_BASE_URL=server.openai_url,
                OPENAI_API_KEY="sk-scripted",
                OPENAI_AGENTS_DISABLE_TRACING="true",  # it would upload to api.openai.com
            )
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{block.id} failed:\n{result.stderr[-4000:]}"
        if block.scripted_openai:
            assert server.requests, f"{block.id} never called the model: drop the scripted-server marker"


@pytest.mark.parametrize("page", sorted(RUN_ELSEWHERE))
def test_pages_run_elsewhere_are_read_by_their_test(page: str) -> None:
    test = ROOT / RUN_ELSEWHERE[page]
    assert test.exists(), f"{page}: {test} is gone; remove the page from RUN_ELSEWHERE"
    assert Path(page).name in test.read_text(encoding="utf-8"), f"{test} no longer reads {page}"
    assert any(b.lang == "python" for b in blocks_of(ROOT / page))


JSON_BLOCKS = [b for b in BLOCKS if b.lang == "json"]


@pytest.mark.parametrize("block", JSON_BLOCKS, ids=[b.id for b in JSON_BLOCKS])
def test_json_block_parses(block: Block) -> None:
    json.loads(block.code)


def _commands(code: str) -> list[list[str]]:
    """The simple commands of a shell block: continuations joined, comments dropped, split on ; && ||."""
    commands = []
    for line in code.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words: list[str] = []
        try:
            tokens = list(lexer)
        except ValueError:  # an unbalanced quote in prose-like lines: nothing to check
            continue
        redirect = False
        for token in [*tokens, ";"]:
            if token and set(token) <= set(";&|"):
                if words:
                    commands.append(words)
                words, redirect = [], False
            elif token and set(token) <= set("<>"):
                redirect = True  # the next word is a file, not an argument
            elif redirect:
                redirect = False
            else:
                words.append(token)
    return [c[next((i for i, w in enumerate(c) if not re.match(r"^\w+=", w)), len(c)) :] for c in commands]


def _extras() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return set(project["optional-dependencies"])


def _check_memspan_command(argv: list[str]) -> None:
    from memspan.cli import build_parser

    argv = [re.sub(r"^\[(.*)\]$", r"\1", word) for word in argv]  # "[--purge]": an optional flag
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(argv)
    except SystemExit as exit_:
        assert exit_.code == 0, f"memspan {shlex.join(argv)}: {stderr.getvalue().strip()}"


SHELL_BLOCKS = [b for b in BLOCKS if b.lang in SHELL]


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=[b.id for b in SHELL_BLOCKS])
def test_shell_block_commands_exist(block: Block) -> None:
    checked = 0
    for command in _commands(block.code):
        if not command:
            continue
        program, args = command[0], command[1:]
        if program == "memspan" or program.endswith("/memspan"):
            _check_memspan_command(args)
            checked += 1
        elif Path(program).name == "pip" and args[:1] == ["install"]:
            for spec in args[1:]:
                if match := re.fullmatch(r"memspan\[([\w,-]+)\]", spec):
                    missing = set(match[1].split(",")) - _extras()
                    assert not missing, f"{block.id}: no extra {missing} in pyproject.toml"
                    checked += 1
        elif re.fullmatch(r"(.*/)?python3?", program) and args and args[0].endswith(".py"):
            assert (ROOT / args[0]).exists(), f"{block.id}: {args[0]} does not exist"
            checked += 1
        elif program in {"pytest", "bash"} and args and not args[0].startswith("-"):
            target = args[-1] if program == "pytest" else args[0]
            assert (ROOT / target.split("::")[0]).exists(), f"{block.id}: {target} does not exist"
            checked += 1
    if not checked:
        pytest.skip(f"{block.id}: no memspan, pip, python or pytest command to check")


def test_markers_are_read() -> None:
    """A marker that is not right before a fence (a typo, a blank line) would silently run nothing."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        markers = len(re.findall(r"<!--\s*(?:not run:|run with a scripted|continues the block)", text))
        attached = sum(
            1 for b in blocks_of(page) if b.not_run is not None or b.scripted_openai or b.continues
        )
        assert markers == attached, f"{page.name}: a 'not run' marker is not on the line before a fence"


def test_the_runner_sees_markers_languages_and_bad_commands(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Intro.\n\n<!-- not run: needs a key -->\n```python\nimport x\n```\n\n"
        "- a list item:\n\n  ```bash\n  memspan serch q --user a  # a typo\n  ```\n\n"
        "<!-- run with a scripted OpenAI server -->\n```python\na = 1\n```\n\n"
        "<!-- continues the block above -->\n```python\nassert a == 1\n```\n",
        encoding="utf-8",
    )
    marked, shell, first, more = blocks_of(page)
    assert (marked.lang, marked.not_run, marked.code, marked.line) == (
        "python",
        "needs a key",
        "import x\n",
        4,
    )
    assert (shell.lang, shell.not_run, shell.code) == ("bash", None, "memspan serch q --user a  # a typo\n")
    assert _commands(shell.code) == [["memspan", "serch", "q", "--user", "a"]]
    with pytest.raises(AssertionError, match="invalid choice: 'serch'"):
        _check_memspan_command(_commands(shell.code)[0][1:])
    _check_memspan_command(["--db", "x.db", "search", "q", "--user", "a"])
    assert (first.scripted_openai, first.continues, more.scripted_openai, more.continues) == (
        True,
        False,
        False,
        True,
    )
    (merged,) = [b for b in with_continuations([marked, shell, first, more]) if b.line == first.line]
    assert (
        merged.scripted_openai
        and merged.code.startswith("a = 1\n")
        and merged.code.endswith("assert a == 1\n")
    )
    assert len(with_continuations([marked, shell, first, more])) == 2


def test_quickstart_remembers_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    command = [sys.executable, str(ROOT / "examples" / "quickstart.py"), "--db", str(db)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "remembered 3 things about Maya" in first.stdout
    assert "I prefer window seats" in first.stdout.split("fresh process")[1]
    assert "someone-else's search for 'peanuts' finds 0 memories" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "skipping run 1" in second.stdout and "I prefer window seats" in second.stdout
