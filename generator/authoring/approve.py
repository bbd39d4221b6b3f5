"""statusgen approve: record who approved a message template's current wording, and when."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import yaml

from generator.authoring.message_templates import TEMPLATES_DIR, load_templates, template_version
from generator.config import load_config
from generator.errors import Problem, Problems, SiteError, one_of
from generator.yamlsource import SourceError, load_yaml, read_text


def approve(site_dir: Path, name: str, by: str, on: datetime) -> Path:
    """Record who approved a template's current wording, and when."""
    problems = Problems(site_dir)
    config = load_config(site_dir, problems)
    problems.raise_if_any()
    assert config is not None
    path = site_dir / TEMPLATES_DIR / f"{name}.md"
    if not path.is_file():
        templates = load_templates(site_dir, config, problems)
        raise SiteError([Problem("template", 0, one_of(name, sorted(templates), "template"))])
    if not by.strip():
        raise SiteError([Problem("--by", 0, "say who approves it, like --by 'Dana Li, Head of Comms'")])
    text = read_text(path)
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if lines[0].rstrip() != "---" or end is None:
        raise SiteError([Problem(problems.display(path), 1, "missing front matter between '---' lines")])
    try:
        front = load_yaml("\n".join(lines[1:end]), first_line=2) or {}
    except SourceError as error:
        raise SiteError([Problem(problems.display(path), error.line, error.message)]) from None
    kept = [line for line in lines[1:end] if not re.match(r"^approved_(by|on|version)\s*:", line)]
    version = template_version(dict(front), "\n".join(lines[end + 1 :]))
    approved_on = on.astimezone(config.timezone).date()
    approval = yaml.safe_dump(
        {"approved_by": by.strip(), "approved_on": approved_on, "approved_version": version},
        sort_keys=False,
        allow_unicode=True,
    ).rstrip("\n")
    path.write_text("\n".join(["---", *kept, approval, "---", *lines[end + 1 :]]), encoding="utf-8")
    return path
