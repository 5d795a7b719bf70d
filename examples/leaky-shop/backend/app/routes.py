import uuid

from flask import Blueprint, jsonify, request

from . import perkamo_client

api = Blueprint("api", __name__)


@api.get("/points/<member_id>")
def points(member_id):
    profile = perkamo_client.get_profile(member_id)
    return jsonify(points=profile["points"], tier=profile["tier"])


@api.post("/redeem")
def redeem():
    body = request.get_json()
    transaction_id = body.get("transaction_id") or str(uuid.uuid4())
    result = perkamo_client.redeem(body["member_id"], body["reward_id"], transaction_id)
    return jsonify(result)
