"""Roles and the groups of them that methods name (docs/auth.md)."""

ADMIN = "admin"
RESELLER = "reseller"
CUSTOMER = "customer"
ACCOUNTANT = "accountant"
INGEST = "ingest"

ROLES = (ADMIN, RESELLER, CUSTOMER, ACCOUNTANT, INGEST)

EVERYONE = frozenset(ROLES)
ADMINS = frozenset({ADMIN})
# Reports every reading role may call (aggregate_get leaves out customers, as MOR does).
READERS = frozenset({ADMIN, RESELLER, CUSTOMER, ACCOUNTANT})
INGESTERS = frozenset({INGEST})
