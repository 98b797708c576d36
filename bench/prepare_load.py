"""Create N bench learners enrolled in one published course, for bench/load.py (run with the app's env).

    DATABASE_URL=... python bench/prepare_load.py --learners 200 --course <slug>
"""

import argparse

from sqlalchemy import select

from lms import create_app
from lms.accounts.models import Role, User
from lms.courses.models import Course
from lms.extensions import db
from lms.learning.models import Enrolment

PASSWORD = "carga-de-prueba-2026"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--course", required=True, help="slug of a published course")
    args = parser.parse_args()
    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:50000"})
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == args.course))
        existing = set(db.session.scalars(select(User.username).where(User.username.like("bench.%"))))
        for n in range(args.learners):
            username = f"bench.{n:04d}"
            if username in existing:
                continue
            user = User(username=username, full_name=f"Participante de carga {n}", role=Role.LEARNER, region="puno")
            user.set_secret(PASSWORD, app.config["PASSWORD_HASH_METHOD"])
            db.session.add(user)
            db.session.flush()
            db.session.add(Enrolment(user_id=user.id, course_id=course.id))
        db.session.commit()
        print(f"{args.learners} bench learners enrolled in {course.slug}")


if __name__ == "__main__":
    main()
