"""Pure pandas transforms: harmonisation and the analytics tables. Never import dagster here."""
