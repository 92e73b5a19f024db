"""A small shop whose modules hold the bugs the grouping corpus raises."""
