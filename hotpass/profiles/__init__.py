"""Industry profiles: the canonical schema, column synonyms, rules and merge policy.

``model.py`` is the schema (every key a profile may hold; unknown keys are rejected);
``loading.py`` finds, reads, inherits (``extends:``) and validates profile files.

Contract: ``load_profile(name, search_paths)`` returns a validated ``Profile`` or raises
``ProfileError`` naming the file and the key path that is wrong.

Pitfalls: a module that only needs the type imports it from ``hotpass.profiles.model``
(which imports nothing of Hotpass), so it does not stand on the file loader.
"""

from hotpass.profiles.loading import available_profiles, load_profile, profile_file
from hotpass.profiles.model import FieldSpec, Profile

__all__ = ["FieldSpec", "Profile", "available_profiles", "load_profile", "profile_file"]
