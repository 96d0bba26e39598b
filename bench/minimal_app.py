"""The baseline: a minimal Flask endpoint on the same stack doing one INSERT per request."""

import os

from flask import Flask, jsonify, request
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
rows = Table(
    "bench_rows", MetaData(), Column("id", Integer, primary_key=True), Column("email", String(254))
)
app = Flask(__name__)


@app.post("/insert")
def insert_row():
    body = request.get_json()
    with engine.begin() as connection:
        new_id = connection.execute(insert(rows).values(email=body["email"])).inserted_primary_key[
            0
        ]
    return jsonify(id=new_id), 201
