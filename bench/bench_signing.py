"""Benchmark certificate signing: the QR statement (sign/verify), the Open Badges credential (RDFC-1.0 + Ed25519),
the phone picture (ms, KB) and the QR's size. Budgets: signing and verifying ≤ 5 ms each, PNG ≤ 150 KB.

Run from the repository root: .venv/bin/python bench/bench_signing.py [-n 500]
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://cursos.rnm-mape.org.pe"
EXAMPLES = (("María Ñahui Quispe Ccori", "Seguridad y salud en la minería artesanal"),
            ("Rosa Mamani Ccama", "Formalización minera"),
            ("María Wilhelmina Ñahui Huamán Quispe de la Cruz",
             "Derechos de las mujeres mineras: violencia, trabajo y organización"))


def timed(function, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def line(label: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    return (f"  {label:<34} mean {statistics.mean(timings):6.2f}  median {statistics.median(timings):6.2f}  "
            f"p95 {ordered[int(len(ordered) * 0.95) - 1]:6.2f}  ms")


def run(count: int) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from flask import Flask
    from flask_babel import Babel

    from lms.certificates import badges, signing
    from lms.certificates.images import certificate_png
    from lms.certificates.pdf import QR_QUIET, QR_SIZE, qr_code
    from tests.test_certificate_pdf import make_data

    private = Ed25519PrivateKey.generate()
    keys = {"ABCDEF": signing.raw_public(private.public_key())}
    statement = signing.statement_for("ABCDEF", "K7QXM4PA93", *EXAMPLES[0], 6, date(2026, 11, 28))
    signature = signing.sign(statement, private)
    fragment = signing.pack(statement, signature)
    print(f"QR statement (n={count})")
    print(line("sign", timed(lambda: signing.sign(statement, private), count)))
    print(line("verify (unpack + verify)", timed(
        lambda: signing.verify(*signing.unpack("K7QXM4PA93", fragment), keys), count)))
    for name, course in EXAMPLES:
        st = signing.statement_for("ABCDEF", "K7QXM4PA93", name, course, 6, date(2026, 11, 28))
        qr = qr_code(f"{PUBLIC}/verify/K7QXM4PA93#" + signing.pack(st, signing.sign(st, private)))
        modules = qr.symbol_size(border=0)[0]
        print(f"  QR for «{name}» / «{course}»: version {qr.version}-{qr.error}, {modules} modules, "
              f"{QR_SIZE / (modules + 2 * QR_QUIET):.2f} mm a module in the PDF's {QR_SIZE:.0f} mm box")

    course = SimpleNamespace(id=3, title=EXAMPLES[0][1], summary="Cuidarnos en la mina.", hours=6,
                             theme=SimpleNamespace(label=lambda lang: "Seguridad y salud"))
    cert = SimpleNamespace(id=42, code="K7QXM4PA93", course_title=EXAMPLES[0][1], hours=6, language="es",
                           network_name="Red Nacional (RNM-MAPE)", created_at=datetime(2026, 11, 30, 15, tzinfo=UTC),
                           learner_name=EXAMPLES[0][0], completed_on=date(2026, 11, 28),
                           enrolment=SimpleNamespace(course=course))
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        credential = badges.credential(cert, PUBLIC, "America/Lima")
        badges.sign_document(credential, "ABCDEF", private, PUBLIC, cert.created_at)  # warm-up: contexts
        print(f"Open Badges credential (n={max(count // 10, 5)})")
        print(line("sign (RDFC-1.0 twice + Ed25519)", timed(
            lambda: badges.sign_document(credential, "ABCDEF", private, PUBLIC, cert.created_at), max(count // 10, 5))))
        status = badges.status_list_credential(PUBLIC, 1, range(0, 131_072, 97), cert.created_at)
        print(line("status list: build + sign", timed(
            lambda: badges.sign_document(badges.status_list_credential(PUBLIC, 1, range(0, 131_072, 97),
                                                                       cert.created_at),
                                         "ABCDEF", private, PUBLIC, cert.created_at), max(count // 10, 5))))
        print(f"  status list credential: {len(str(status)) / 1024:.1f} KB with 1,352 certificates revoked")
        data = make_data(qr_content=f"{PUBLIC}/verify/K7QXM4PA93#{fragment}")
        sizes = []
        print(f"Phone picture (n={max(count // 10, 5)})")
        print(line("render PNG", timed(lambda: sizes.append(len(certificate_png(data))), max(count // 10, 5))))
        print(f"  PNG size {max(sizes) / 1024:.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=500)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    run(args.count)


if __name__ == "__main__":
    main()
