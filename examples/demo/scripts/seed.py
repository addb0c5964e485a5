import os

# #CONTEXT_DEGRADED: the seed format is written from memory of the old fixtures
# #CANNOT_VERIFY_WITHOUT_RUNTIME: needs a running database
DATABASE_URL = os.environ.get("DATABASE_URL", "")

COLOURS = ["#FFFFFF", "#000000"]  # not tags: strings and colours
