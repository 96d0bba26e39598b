"""The bare baseline of the page benchmarks: Flask serving a static string, nothing else.

No database, no templates, no extensions: what gunicorn and Flask cost by themselves on this
machine, measured in the same run as the app's pages (bench/announcement_burst.py).
"""

from flask import Flask

app = Flask(__name__)

STATIC_STRING = "ok"


@app.get("/")
@app.get("/static-string")
def static_string() -> str:
    return STATIC_STRING
