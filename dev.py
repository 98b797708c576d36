#!/usr/bin/env python3
"""One entry point for developers, needing only Python 3.11+.

    python3 dev.py          set everything up, migrate SQLite, seed the demo and serve on http://127.0.0.1:5000
    python3 dev.py --lan    the same, served on this computer's local network too (to try it from a phone)
    python3 dev.py test     set up and run the whole test suite (extra arguments go to pytest)
    python3 dev.py setup    only create .venv and install the project
    python3 dev.py i18n     extract strings, update the catalogues and compile them
"""

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
TRANSLATIONS = ROOT / "lms" / "translations"


def run(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def setup() -> None:
    """Create the virtual environment and install the project when pyproject.toml changed."""
    if not PY.exists():
        venv.create(VENV, with_pip=True)
    stamp = VENV / ".installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        stamp.write_text(digest)
    compile_catalogues()
    install_axe()


def install_axe() -> None:
    """From the npm registry, when npm is present: axe-core for the browser tests' accessibility checks, and
    Digital Bazaar's VC libraries, the independent verifier of our Open Badges credentials (tests/credentials)."""
    needs = {ROOT / "tests" / "browser": "axe-core", ROOT / "tests" / "credentials": "@digitalbazaar/vc"}
    for folder, package in needs.items():
        if shutil.which("npm") and not (folder / "node_modules" / package).exists():
            run("npm", "ci", "--prefix", folder, "--no-audit", "--no-fund", "--silent")


def compile_catalogues() -> None:
    run(BIN / "pybabel", "compile", "--statistics", "-d", TRANSLATIONS)


def i18n() -> None:
    setup()
    pybabel = BIN / "pybabel"
    run(pybabel, "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
        "--sort-output", "-o", TRANSLATIONS / "messages.pot", ".")
    run(pybabel, "update", "--no-fuzzy-matching", "-i", TRANSLATIONS / "messages.pot", "-d", TRANSLATIONS)
    compile_catalogues()


def lan_addresses() -> list[str]:
    """This computer's IPv4 addresses on its local networks (what a phone on the same wifi types)."""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        found = set()
    return sorted(address for address in found if not address.startswith("127."))


def serve(lan: bool = False) -> None:
    setup()
    env = {**os.environ, "FLASK_APP": "wsgi"}
    flask = BIN / "flask"
    run(flask, "db", "upgrade", env=env)
    run(flask, "lms", "seed-demo", env=env)
    if (ROOT / "lms" / "courses" / "importer.py").exists():
        run(flask, "courses", "import", "courses/", "--publish", "--demo", env=env)  # the example course too
    host = "0.0.0.0" if lan else "127.0.0.1"  # noqa: S104 - only when asked for, to try the demo from a phone
    print("\n  La demo está lista. Abre en tu navegador: http://127.0.0.1:5000", flush=True)
    if lan:
        addresses = lan_addresses() or ["<la dirección IP de esta computadora>"]
        print("  Desde un celular conectado a la misma red wifi, escribe:", flush=True)
        for address in addresses:
            print(f"      http://{address}:5000", flush=True)
        print("  (Solo para probar: cualquiera en esta red puede abrirla.)", flush=True)
    print("  Cuentas: admin.demo, formadora.demo, minera.demo — contraseña: minera-segura-2026", flush=True)
    print("  Para detenerla: Ctrl+C\n", flush=True)
    os.execv(flask, [str(flask), "run", "--host", host, "--port", "5000"])


def test(args) -> int:
    setup()
    return subprocess.run([str(PY), "-m", "pytest", *args], cwd=ROOT).returncode


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if command == "test":
        sys.exit(test(sys.argv[2:]))
    if command in ("--lan", "lan") or (command == "serve" and os.environ.get("LMS_LAN") == "1"):
        serve(lan=True)
    else:
        {"serve": serve, "setup": setup, "i18n": i18n}[command]()
