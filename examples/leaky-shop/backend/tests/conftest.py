import os

# A key of the Perkamo test space, which only holds fixture members.
os.environ.setdefault("PERKAMO_SECRET_KEY", "sk_test_6ZzIiUTqW4KAJsNbPrdpZfJw")
