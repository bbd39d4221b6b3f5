"""Every page, stylesheet and badge of every audience passes the Nu HTML Checker (vnu) with no error."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkers import html_files, vnu_errors
from conftest import incident
from sites import LEAKY_SITE

pytestmark = pytest.mark.quality

EMPTY_SITE = """\
title: Nothing Yet
base_url: https://status.example.com/
timezone: UTC
components: []
"""

#: Markdown a responder might write mid-incident: headings at odd levels, a table, code, raw HTML.
RICH_BODY = """\
# Impact

| region | errors |
| --- | --- |
| eu | 4% |

#### Workaround

Retry with `--backoff`:

```
curl --retry 5 https://api.example.com/
```

<details><summary>Raw</summary><b>bold</b> <img src="x.png"></details>

::: strategic
## Accounts affected
- acme-1
:::
"""


def test_every_file_of_every_audience_has_no_vnu_error(
    example_out, example_sla_out, example_de, make_site, build, tmp_path
):
    rich = make_site(
        {
            **LEAKY_SITE,
            "content/incidents/rich/01.md": incident(
                "2026-11-27T10:00:00Z",
                "identified",
                RICH_BODY,
                title="Rich <body> & more",
                impact="critical",
                components={"api": "major_outage", "cdn": "partial_outage"},
            ),
        }
    )
    empty = tmp_path / "empty-site"
    empty.mkdir()
    (empty / "site.yml").write_text(EMPTY_SITE, encoding="utf-8")
    # example_sla_out: the example with its SLA report (sla/ and the open incident's SLA cost).
    # example_de: the example in German (``language: de``).
    trees = [
        example_out,
        example_sla_out,
        example_de[1],
        build(rich, tmp_path / "rich"),
        build(empty, tmp_path / "empty"),
    ]
    files: list[Path] = []
    for out in trees:
        for tree in sorted(p for p in out.iterdir() if p.is_dir()):
            files += html_files(tree) + sorted(tree.rglob("*.css")) + sorted(tree.rglob("*.svg"))
    assert len(files) > 100 and any(f.match("*/sla/index.html") for f in files)
    errors = vnu_errors(files, tmp_path.parent)
    assert not errors, f"{len(errors)} vnu errors:\n" + "\n".join(map(str, errors))
