"""N learners complete the same lesson, then submit the same quiz, at the same instant (a barrier).

    python bench/same_moment.py --base http://127.0.0.1:8010 --users 20 --course seguridad-y-salud \
        --lesson como-entra-al-cuerpo --quiz 1

Prints the answers' status codes; then check the database has exactly one completion and one attempt per learner
(the script prints the SQL to run). Bounded: one round each.
"""

import argparse
import re
import threading
from collections import Counter

from load import CSRF, Learner

TOKEN = re.compile(r'name="token" value="([^"]+)"')
FIRST_CHOICE = re.compile(r'name="(q\d+)" value="(\d+)"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8010")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--course", required=True)
    parser.add_argument("--lesson", required=True)
    parser.add_argument("--quiz", type=int, required=True)
    parser.add_argument("--first", type=int, default=100, help="first bench learner number to use")
    args = parser.parse_args()
    statuses, lock = Counter(), threading.Lock()
    barrier = threading.Barrier(args.users)

    def record(step, _elapsed, status):
        with lock:
            statuses[(step, status)] += 1

    def one(n: int) -> None:
        learner = Learner(args.base, f"bench.{args.first + n:04d}", record)
        learner.sign_in()
        lesson_path = f"/aprender/{args.course}/{args.lesson}"
        token = CSRF.search(learner.request("lesson page", lesson_path)).group(1)
        barrier.wait()
        learner.request("complete", lesson_path + "/completar", {"csrf_token": token})
        quiz_path = f"/aprender/{args.course}/evaluacion/{args.quiz}"
        page = learner.request("quiz page", quiz_path)
        answers = dict(FIRST_CHOICE.findall(page))  # first choice of each question
        form = {"csrf_token": CSRF.search(page).group(1), "token": TOKEN.search(page).group(1), **answers}
        barrier.wait()
        learner.request("submit quiz", quiz_path, form)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(args.users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for (step, status), count in sorted(statuses.items()):
        print(f"{step:<12} {status:>4} × {count}")
    print("Check: SELECT count(*), count(DISTINCT (enrolment_id, lesson_id)) FROM lesson_completion; "
          "SELECT count(*), count(DISTINCT token) FROM quiz_attempt;")


if __name__ == "__main__":
    main()
