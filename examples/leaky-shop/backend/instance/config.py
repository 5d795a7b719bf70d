# Local overrides for this machine only; instance/ is in .gitignore.
DEBUG = True
PERKAMO_SECRET_KEY = "sk_live_O94gTzlWSJ2ynHdEobOy9yKb"
