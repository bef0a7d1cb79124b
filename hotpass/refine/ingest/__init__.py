"""Refine's first stage: find and read input files, detect headers, type columns, link
sheets and split people, so that every source becomes one frame of profile fields."""
