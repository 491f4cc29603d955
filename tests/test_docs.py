"""The documentation stays in step with the code.

* ``docs/cli.md`` has a ``## arenavotes <command>`` section for every command of :data:`arenavotes.cli.cli`,
  names every option of that command in its section, and names no option the command does not have. The
  commands and options come from click's own definition of the CLI (never from a list kept here), so
  renaming, adding or removing an option fails this test until the page follows.
* Every relative link in ``README.md`` and ``docs/*.md`` points to a file that exists, and a ``#fragment``
  to a heading of that file.
* The README's package layout names every module and subpackage of ``src/arenavotes``.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from conftest import ROOT

from arenavotes.cli import cli

DOCS = ROOT / "docs"
CLI_DOC = DOCS / "cli.md"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

FLAG = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")  # -w, --workspace, --no-style
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def _context(cmd: click.Command, parent: click.Context | None = None) -> click.Context:
    """A context as click makes one to run ``cmd`` (its settings, e.g. ``-h`` for help, inherited)."""
    return click.Context(cmd, info_name=cmd.name, parent=parent, **cmd.context_settings)


def _commands(
    group: click.Group = cli, parent: click.Context | None = None, prefix: str = "arenavotes"
) -> dict[str, click.Context]:
    """A context for every command, by its full name (``arenavotes rate``), subcommands of groups included."""
    out: dict[str, click.Context] = {}
    ctx = _context(group, parent)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        full = f"{prefix} {name}"
        out[full] = _context(cmd, ctx)
        if isinstance(cmd, click.Group):
            out.update(_commands(cmd, ctx, full))
    return out


def _options(ctx: click.Context) -> list[click.Option]:
    """The command's options, the help option included (it is not in ``cmd.params``)."""
    return [p for p in ctx.command.get_params(ctx) if isinstance(p, click.Option)]


def _primary(opt: click.Option) -> str:
    """The name a user reads first: the first long name (``--workspace`` of ``-w, --workspace``)."""
    return next((o for o in opt.opts if o.startswith("--")), opt.opts[0])


def _names(opt: click.Option) -> set[str]:
    return {*opt.opts, *opt.secondary_opts}


def _sections(text: str) -> tuple[str, dict[str, str]]:
    """The text before the first command section, and each ``## arenavotes ...`` section by command name."""
    parts = re.split(r"^## +`?(arenavotes(?: [\w-]+)+)`? *$", text, flags=re.M)
    return parts[0], dict(zip(parts[1::2], parts[2::2], strict=True))


def _documented_flags(text: str) -> set[str]:
    """Option names inside code spans and code blocks of a section (prose may say 'old spelling' freely)."""
    code = [m.group(0) for m in FENCE.finditer(text)]
    code += [m.group(2) for m in CODE_SPAN.finditer(FENCE.sub("", text))]
    flags = {f for chunk in code for f in FLAG.findall(chunk)}
    # a value such as `-6.5/+6.5` or a range is not an option; options are lower-case words
    return {f for f in flags if re.fullmatch(r"--?[a-z][a-z0-9-]*", f)}


COMMANDS = _commands()


def test_the_cli_has_commands() -> None:
    assert len(COMMANDS) >= 10 and "arenavotes rate" in COMMANDS  # introspection works at all


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_and_option_is_documented(name: str) -> None:
    _, sections = _sections(CLI_DOC.read_text(encoding="utf-8"))
    assert name in sections, f"docs/cli.md has no '## {name}' section"
    section = sections[name]
    documented = _documented_flags(section)
    options = [o for o in _options(COMMANDS[name]) if not o.hidden]
    missing = sorted(_primary(o) for o in options if _primary(o) not in documented and "--help" not in o.opts)
    assert not missing, f"docs/cli.md, section '{name}': options not documented: {missing}"
    known = {n for o in _options(COMMANDS[name]) for n in _names(o)}
    unknown = sorted(documented - known)
    assert not unknown, f"docs/cli.md, section '{name}': documents options that '{name}' does not have: {unknown}"
    # an option given several times (--source A --source B) says so in its entry
    entries = {_primary_in(entry): entry for entry in re.split(r"^- ", section, flags=re.M)[1:]}
    once = sorted(
        _primary(o) for o in options if o.multiple and "repeatable" not in entries.get(_primary(o), "").lower()
    )
    assert not once, f"docs/cli.md, section '{name}': say 'Repeatable.' in the entries of {once}"


def _primary_in(entry: str) -> str:
    """The option an entry of a section's option list documents: the first long name in its first code span."""
    span = CODE_SPAN.search(entry)
    flags = FLAG.findall(span.group(2)) if span else []
    return next((f for f in flags if f.startswith("--")), flags[0] if flags else "")


def test_no_section_for_a_command_that_does_not_exist() -> None:
    preamble, sections = _sections(CLI_DOC.read_text(encoding="utf-8"))
    assert not sorted(set(sections) - set(COMMANDS)), "docs/cli.md documents commands that do not exist"
    # the preamble documents the options of `arenavotes` itself and may mention options every command shares
    known = {n for o in _options(_context(cli)) for n in _names(o)} | {
        n for ctx in COMMANDS.values() for o in _options(ctx) for n in _names(o)
    }
    assert {"--version", "--help"} <= _documented_flags(preamble)
    assert not sorted(_documented_flags(preamble) - known)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # link text only
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    out = set()
    for m in HEADING.finditer(text):
        slug = _slug(m.group(2))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def _links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = FENCE.sub("", text)
    text = CODE_SPAN.sub("", text)
    return LINK.findall(text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(page: Path) -> None:
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:, ...: not checked offline
            continue
        file_part, _, fragment = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target} (no such file)")
        elif fragment and dest.suffix == ".md" and fragment not in _anchors(dest):
            broken.append(f"{target} (no heading '#{fragment}' in {dest.relative_to(ROOT)})")
    assert not broken, f"{page.relative_to(ROOT)}: broken links: {broken}"


def test_the_docs_pages_are_linked_from_the_readme() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in _links(ROOT / "README.md")}
    unlinked = [p.name for p in DOCS.glob("*.md") if p.resolve() not in linked]
    assert not unlinked, f"README.md does not link these docs pages: {unlinked}"


def test_the_readme_layout_names_every_module() -> None:
    pkg = ROOT / "src" / "arenavotes"
    modules = {p.name + "/" for p in pkg.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules |= {p.name for p in pkg.glob("*.py") if p.name not in {"__init__.py", "__main__.py"}}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("src/arenavotes/") :]
    layout = layout[: layout.index("```")]
    listed = set(re.findall(r"^ {2}(\S+)", layout, re.M))
    assert not sorted(modules - listed), "README.md's layout (Where things live) misses these modules"


def test_the_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's library example, run as written (from a folder where ``data/`` is the bundled data)."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "the README shows the library"
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "myarena" / "arena.duckdb").exists()


def test_make_test_draws_the_same_hypothesis_examples_every_run() -> None:
    """The README says `make test` draws the same hypothesis examples on every run (a red run can be repeated)
    and `make fuzz` new ones: the profile loaded by conftest is derandomized unless fuzzing was asked for, and
    the fuzz target asks for it."""
    import os

    from hypothesis import settings

    fuzzing = os.environ.get("ARENAVOTES_HYPOTHESIS") == "fuzz"
    assert settings.default.derandomize is not fuzzing
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "ARENAVOTES_HYPOTHESIS=fuzz" in makefile.split("\nfuzz:", 1)[1].split("\n\n", 1)[0]
