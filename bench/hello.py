"""A bare Flask "hello world": the ceiling for throughput on this machine (gunicorn -c ... bench.hello:app)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello world"
