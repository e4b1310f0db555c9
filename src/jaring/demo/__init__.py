"""The demo world `make run` loads: a synthetic registry of a few provinces, sponsors with
budgets, targeted and enrolled members, a year of bills and payments, claims, and one account
per role — all made through the product's own services."""
