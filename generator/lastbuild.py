"""The moment the last build of a site was made as of.

``statusgen notify --now last-build`` tells what that build published, no more: an update held
until a time that passed while the pages were deploying is told by the next run, once its page is
live, instead of by a message that links to a page that does not show it yet.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from generator.sqlitecache import CACHE_DIR

LAST_BUILD_FILE = Path(CACHE_DIR) / "last-build.json"


def remember(site_dir: Path, now: str) -> None:
    """Record ``now`` (as given to the build, or the clock's reading it used); atomic."""
    path = site_dir / LAST_BUILD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    scratch.write_text(json.dumps({"now": now}) + "\n", encoding="utf-8")
    os.replace(scratch, path)


def forget(site_dir: Path) -> None:
    (site_dir / LAST_BUILD_FILE).unlink(missing_ok=True)


def recall(site_dir: Path) -> str:
    """The last build's moment; LookupError (with a message for the user) when there is none."""
    path = site_dir / LAST_BUILD_FILE
    try:
        now = json.loads(path.read_text(encoding="utf-8")).get("now")
    except FileNotFoundError:
        raise LookupError(f"no build of this site is recorded ({path}); run statusgen build first") from None
    except (OSError, ValueError, AttributeError) as error:
        raise LookupError(f"cannot read {path} ({type(error).__name__}); run statusgen build again") from None
    if not isinstance(now, str):
        raise LookupError(f"{path} holds no build moment; run statusgen build again")
    return now
