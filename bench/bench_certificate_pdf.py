"""Benchmark the certificate PDF renderer: ms per certificate (mean/median/p95) and file size.

Run from the repository root: .venv/bin/python bench/bench_certificate_pdf.py [-n 200]
"""

import argparse
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORK = "Red Nacional de Mujeres de la Minería Artesanal y de Pequeña Escala del Perú (RNM-MAPE)"
NAMES = ("María Ñahui Quispe Ccori", "Ana Pariʼ Ch’uqi", "Juana Huamaní de la Cruz Mamani Ccahuana")
SIGNATORIES = (
    ("Rosa Ccahuana Huamán", "Presidenta de la RNM-MAPE"),
    ("Lucía Mamani Condori", "Coordinadora"),
)


def signed_qr(private, i: int, name: str, hours) -> str:
    """The QR text a signed certificate carries: its URL and the signed statement in the fragment."""
    from lms.certificates import signing

    statement = signing.statement_for("ABCDEF", f"K7QXM4PA{i:02d}", name, "Seguridad y salud en la minería artesanal",
                                      hours, date(2026, 11, 28))
    return f"https://cursos.example.pe/verify/K7QXM4PA{i:02d}#" + signing.pack(statement, private.sign(
        statement.message()))


def make_items(count: int) -> list:
    """count realistic, slightly varied certificates, signed as they are when issued."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from lms.certificates.pdf import CertificateData

    private = Ed25519PrivateKey.generate()
    return [
        CertificateData(
            learner_name=f"{NAMES[i % len(NAMES)]} {i}",
            course_title="Seguridad y salud en la minería artesanal",
            theme="Seguridad y salud",
            hours=Decimal("6") if i % 2 else Decimal("1.5"),
            completed_on=date(2026, 11, 28),
            issued_on=date(2026, 11, 30),
            code=f"K7QX-M4PA-{i:02d}",
            verify_url=f"https://cursos.example.pe/verify/K7QXM4PA{i:02d}",
            network_name=NETWORK,
            signatories=SIGNATORIES,
            language="en" if i % 10 == 0 else "es",
            qr_content=signed_qr(private, i, f"{NAMES[i % len(NAMES)]} {i}", Decimal("6") if i % 2 else Decimal("1.5")),
        )
        for i in range(count)
    ]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def run(count: int) -> None:
    """Render count single certificates, then one batch of count, and print the figures."""
    from flask import Flask
    from flask_babel import Babel

    from lms.certificates.pdf import render_batch, render_certificate

    app = Flask(__name__)
    Babel(app)
    items = make_items(count)
    with app.app_context():
        render_certificate(items[0])  # warm-up: imports, Babel locale data
        timings, sizes = [], []
        for item in items:
            start = time.perf_counter()
            sizes.append(len(render_certificate(item)))
            timings.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        batch = render_batch(items)
        batch_ms = (time.perf_counter() - start) * 1000
    print(f"single certificates: n={count}")
    print(
        f"  ms/certificate  mean {statistics.mean(timings):.1f}  median {statistics.median(timings):.1f}  "
        f"p95 {percentile(timings, 0.95):.1f}  max {max(timings):.1f}"
    )
    print(f"  size KB         mean {statistics.mean(sizes) / 1024:.1f}  max {max(sizes) / 1024:.1f}")
    print(
        f"batch of {count}: {batch_ms:.0f} ms total, {batch_ms / count:.1f} ms/certificate, "
        f"{len(batch) / 1024:.0f} KB"
    )


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=200)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    run(args.count)


if __name__ == "__main__":
    main()
