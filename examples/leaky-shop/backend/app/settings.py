"""Settings read from the environment (see .env.example)."""

import os

PERKAMO_API = os.environ.get("PERKAMO_API", "https://api.perkamo.com")
PERKAMO_SPACE = os.environ.get("PERKAMO_SPACE", "leaky-shop")
PERKAMO_TIMEOUT = float(os.environ.get("PERKAMO_TIMEOUT", "5"))
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://shop:shop@localhost:5432/shop")

# Orders scoring above this are held for review before points are granted.
RISK_LIVE_SCORE_LIMIT = 0.8

# flask-cors: anyone may read the public catalogue API. This is the shop's
# own CORS, not Perkamo's allowed origins.
CORS_ORIGINS = "*"
