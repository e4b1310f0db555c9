"""Regions (Kemendagri codes from `idn-area-data`), official statistics and map boundaries."""
