"""The layers of docs/architecture.md are checked, not hoped: lint-imports keeps them, and breaks on a bad import."""

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
WEB_NAMES = {"request", "session", "current_user", "flash", "g"}  # what domain code never reads


def lint_imports(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=folder, capture_output=True, text=True,
                          timeout=120, check=False)


def copy_of_the_code(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "lms", tmp_path / "lms", ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_layer_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(("module", "bad_import", "contract"), [
    ("lms/accounts/models.py", "from lms.reports import queries", "Domain packages depend one way"),
    ("lms/learning/progress.py", "from lms.certificates.issuing import issue_certificate", "depend one way"),
    ("lms/learning/access.py", "from lms.learning.forms import KeyForm", "Domain modules import no web module"),
    ("lms/certificates/views.py", "from lms.accounts.people import one_time_slip", "another package's view"),
])
def test_lint_imports_fails_when_a_module_gains_an_import_that_breaks_a_layer(tmp_path, module, bad_import,
                                                                             contract):
    folder = copy_of_the_code(tmp_path)
    target = folder / module
    target.write_text(target.read_text() + f"\n{bad_import}  # noqa: E402, F401\n")
    result = lint_imports(folder)
    assert result.returncode == 1, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken and bad_import.split()[1] in broken


def domain_modules() -> list[Path]:
    """The modules the contract «Domain modules import no web module» names, as files."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    patterns = next(c for c in config if c["id"] == "domain-below-web")["source_modules"]
    files = set()
    for pattern in patterns:
        files |= {p for p in ROOT.glob(pattern.replace(".", "/") + ".py")}
    return sorted(files)


def test_domain_modules_never_read_the_request_the_session_or_the_signed_in_person():
    """DESIGN, convention 2: domain code takes arguments. (lint-imports sees modules, not names: this sees names.)"""
    modules = [p for p in domain_modules() if p.name != "extensions.py"]  # Flask's own plumbing (session cookie)
    assert len(modules) > 25
    for path in modules:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("flask", "flask_login"):
                used = {alias.name for alias in node.names} & WEB_NAMES
                assert not used, f"{path.relative_to(ROOT)} imports {used}"


def test_no_template_includes_a_missing_file_silently_and_no_template_global_queries():
    templates = ROOT / "lms" / "templates"
    assert not [p for p in templates.rglob("*.html") if "ignore missing" in p.read_text()]
    for path in (ROOT / "lms").rglob("*.py"):
        text = path.read_text()
        for block in text.split("app_template_global")[1:]:
            body = block.split("\n\n\n", 1)[0]
            assert "db.session" not in body and "select(" not in body, f"a template global in {path} queries"
