"""statusgen approve: record who approved a message template's current wording, and when."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import yaml

from generator.authoring.message_templates import TEMPLATES_DIR, load_templates, template_version
from generator.config import load_config
from generator.errors import Problem, Problems, SiteError, one_of
from generator.yamlsource import SourceError, load_yaml, read_text


def approve(site_dir: Path, name: str, by: str, on: datetime, role: str | None = None) -> Path:
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
    if config.approvers or role is not None:
        check_role(role, config.approvers)
        return _approve_role(
            path, lines, end, dict(front), str(role), by.strip(), on.astimezone(config.timezone).date()
        )
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


def check_role(role: str | None, approvers: tuple[str, ...]) -> None:
    """--role names one of templates.approvers, and is given exactly when they are set."""
    if not approvers:
        raise SiteError(
            [Problem("--role", 0, "site.yml sets no templates.approvers; approve without --role")]
        )
    if role is None:
        raise SiteError(
            [Problem("--role", 0, f"say which role signs off: --role {' or --role '.join(approvers)}")]
        )
    if role not in approvers:
        raise SiteError(
            [Problem("--role", 0, one_of(role, approvers, "approver role (templates.approvers)"))]
        )


def _approve_role(
    path: Path, lines: list[str], end: int, front: dict[str, object], role: str, by: str, on: date
) -> Path:
    """Record one role's approval in ``approvals:``, keeping the other roles' (each tied to a wording)."""
    version = template_version(front, "\n".join(lines[end + 1 :]))
    recorded = front.get("approvals")
    approvals = {str(k): dict(v) for k, v in recorded.items()} if isinstance(recorded, dict) else {}
    approvals[role] = {"by": by, "on": on, "version": version}
    kept: list[str] = []
    in_block = False
    for line in lines[1:end]:
        in_block = line.startswith("approvals:") or (in_block and line[:1] in (" ", "\t"))
        if not in_block:
            kept.append(line)
    block = yaml.safe_dump({"approvals": approvals}, sort_keys=False, allow_unicode=True).rstrip("\n")
    path.write_text("\n".join(["---", *kept, block, "---", *lines[end + 1 :]]), encoding="utf-8")
    return path
