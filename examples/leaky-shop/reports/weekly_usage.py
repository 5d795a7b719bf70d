"""Weekly report for the finance team: API usage and the program's point values."""

import os

import requests

PERKAMO_API = "https://api.perkamo.com"
KEY = os.environ["PERKAMO_REPORTS_KEY"]


def fetch(path):
    response = requests.get(f"{PERKAMO_API}{path}", headers={"Authorization": f"Bearer {KEY}"},
                            timeout=10)
    response.raise_for_status()
    return response.json()


def main():
    usage = fetch("/v1/usage")
    program = fetch("/v1/program")
    print(f"{usage['events_this_week']} events, {program['points_per_dollar']} points per dollar")


if __name__ == "__main__":
    main()
