"""The Jinja environment: the site's own theme folder over the packaged default theme."""

from __future__ import annotations

import weakref
from importlib.resources import files
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from generator.audience import Labelled
from generator.config import SiteConfig
from generator.dates import iso
from generator.errors import Problem, Problems
from generator.i18n import Tables, Translator, load_tables
from generator.model import PROGRESS_STEPS, Segment
from generator.spool import BodySpool, Stored
from generator.status import TAB_COLOURS

DEFAULT_THEME = Path(str(files("generator.themes"))) / "default"


def theme_dirs(config: SiteConfig, site_dir: Path) -> list[Path]:
    """Theme folders, most specific first: the site's ``themes/<name>/`` then the default."""
    own = site_dir / "themes" / config.theme
    return [own, DEFAULT_THEME] if own.is_dir() else [DEFAULT_THEME]


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process, keyed by name and source checksum.

    Compiling the theme is most of a small build's time; `serve`, the tests and forked workers
    build again and again from unchanged templates. Jinja checks each entry against the
    source's checksum, so an edited template is compiled afresh.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


# One per kind of environment: the sandbox compiles calls differently.
_COMPILED = {False: _CompiledTemplates(), True: _CompiledTemplates()}


class _ThemeSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, which also keeps a body piece's readers and audience names from a site's
    templates: an unlabelled piece is the loaded Segment itself (shared by every audience's view),
    and those name audiences the reader may not be told of. A piece shows ``html``,
    ``restricted_to`` and ``titles``, as every piece does."""

    def is_safe_attribute(self, obj: object, attr: str, value: object) -> bool:
        if isinstance(obj, (Segment, Labelled)) and attr not in ("html", "restricted_to", "titles"):
            return False  # a piece's ``packed`` may be where the build keeps every body on disk
        if isinstance(obj, (Stored, BodySpool)):
            return False  # the spool holds every audience's bodies
        return bool(super().is_safe_attribute(obj, attr, value))


def make_env(config: SiteConfig, site_dir: Path, problems: Problems) -> jinja2.Environment:
    """Build the environment and compile every template, so template mistakes are problems."""
    for path in _links_leaving_site(config, site_dir):
        problems.add(path, 1, "symbolic link leads outside the site directory; refused")
    own = [str(d / "templates") for d in theme_dirs(config, site_dir)[:-1]]
    default = jinja2.FileSystemLoader(str(DEFAULT_THEME / "templates"))
    # A site's own theme is data a pull request can change, and `check` runs it in CI: it runs
    # sandboxed. It may read what it is given and call Jinja's filters, never reach Python's
    # internals or change the site (README, "Themes"). The packaged default theme is part of
    # statusgen and runs without the sandbox's cost (about half of all template time).
    environment = _ThemeSandbox if own else jinja2.Environment
    env = environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(own),
                # An override can extend the template it replaces: {% extends "default/base.html" %}
                jinja2.PrefixLoader({"default": default}),
                default,
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_COMPILED[bool(own)],
        # One environment per build (a theme edit makes serve rebuild it all): no file checks on
        # each of the thousands of template lookups (pages, and each page's macro import).
        auto_reload=False,
    )
    zone = config.timezone
    tables = site_tables(config, site_dir)
    problems.extend(tables.problems)
    # Dates and durations in the language of the page being rendered: its translator, ``t``.
    env.filters["iso"] = iso
    env.filters["localtime"] = jinja2.pass_context(lambda context, moment: _t(context).when(moment, zone))
    env.filters["localdate"] = jinja2.pass_context(lambda context, day: _t(context).date(day))
    env.filters["duration"] = jinja2.pass_context(
        lambda context, start, end: _t(context).duration(start, end)
    )
    env.filters["month_name"] = jinja2.pass_context(lambda context, month: _t(context).month(month))
    env.globals.update(progress_steps=PROGRESS_STEPS, tab_colours=TAB_COLOURS)
    _TABLES[env] = tables
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            problems.items.append(template_problem(error, site_dir))
    return env


# Each environment's string tables (read once, with the templates), for the trees rendered with it.
_TABLES: weakref.WeakKeyDictionary[jinja2.Environment, Tables] = weakref.WeakKeyDictionary()


def site_tables(config: SiteConfig, site_dir: Path) -> Tables:
    """The string tables of the site's theme and statusgen's, for every language its audiences use."""
    languages = {config.language, *(audience.language for audience in config.audiences)}
    return load_tables(theme_dirs(config, site_dir), site_dir, sorted(languages))


def translator(env: jinja2.Environment, language: str) -> Translator:
    """The translator for pages rendered with ``env`` in ``language``."""
    return _TABLES[env].translator(language)


def _t(context: jinja2.runtime.Context) -> Translator:
    found = context["t"]
    assert isinstance(found, Translator)
    return found


def _links_leaving_site(config: SiteConfig, site_dir: Path) -> list[Path]:
    """Paths of the site's own theme that lead outside the site (or nowhere) through a symlink.

    Resolved one by one, the theme folder first: a symlinked themes/ or themes/<name>/ would
    otherwise publish whatever it points at.
    """
    site = site_dir.resolve()
    found: list[Path] = []
    for theme_dir in theme_dirs(config, site_dir)[:-1]:
        if not _resolves_inside(theme_dir, site):
            return [theme_dir]
        found.extend(path for path in sorted(theme_dir.rglob("*")) if not _resolves_inside(path, site))
    return found


def _resolves_inside(path: Path, site: Path) -> bool:
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return site in target.parents


def template_problem(error: Exception, site_dir: Path) -> Problem:
    """Point at the template line that failed (Jinja puts template frames in the traceback)."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        filename, line = error.filename or error.name or "template", error.lineno
    else:
        filename, line = "template", 1
        trace = error.__traceback__
        while trace is not None:
            code = trace.tb_frame.f_code.co_filename
            if code.endswith(".html") and Path(code).exists():
                filename, line = code, trace.tb_lineno
            trace = trace.tb_next
    message = (
        f"template not found: {error.name}"
        if isinstance(error, jinja2.TemplateNotFound)
        else f"template error: {error}"
        if isinstance(error, jinja2.TemplateError)
        else f"template error: {type(error).__name__}: {error}"
    )
    problems = Problems(site_dir)
    problems.add(filename, line, message)
    return problems.items[0]


def static_files(config: SiteConfig, site_dir: Path) -> dict[str, bytes]:
    """The theme's static/ files (site overrides win) and the logo, keyed by uri."""
    result: dict[str, bytes] = {}
    if config.logo_uri:
        result[config.logo_uri] = (site_dir / config.logo).read_bytes()
    for theme_dir in reversed(theme_dirs(config, site_dir)):
        static = theme_dir / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    result[f"assets/{path.relative_to(static).as_posix()}"] = path.read_bytes()
    return result
