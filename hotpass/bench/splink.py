"""Splink (DuckDB backend) on the same evidence Hotpass compares: the benchmark's anchor.

Contract: ``splink_table(frame, profile)`` turns refine's combined, normalised rows into
Splink's input (one column per field Hotpass compares, arrays for the multi-valued ones,
Hotpass's name blocking keys); ``splink_clusters(table, threshold)`` trains and
runs Splink the way its documentation recommends and returns
``(cluster label per row, scored pairs as (left, right, probability))``.

Training, as the Splink docs describe it: ``estimate_probability_two_random_records_match``
from deterministic rules (same registration id; same name and same domain),
``estimate_u_using_random_sampling``, then EM on two blocking rules (name, registration
id) so that every comparison gets its m from a session that does not block on it.
Blocking and comparisons use the same fields as Hotpass: name (Jaro-Winkler levels, term
frequencies), phones/e-mails/domains (array intersection), registration id (exact),
address (Jaro-Winkler), region (exact). Splink is an optional extra: ``pip install -e ".[bench]"``.

Pitfalls: Splink logs to the root logger; the bench silences it. ``unique_id`` is the row
position, so labels line up with the input frame.
"""

from __future__ import annotations

import logging

import numpy as np

from hotpass.profiles.model import Profile

SPLINK_MISSING = "Splink is not installed: pip install -e \".[bench]\" (the bench extra)"


def splink_table(frame, profile: Profile):
    """A pyarrow table (Splink reads it without a copy through DuckDB), built with Arrow
    kernels: a per-row Python loop here would bill Splink for the bench's own glue."""
    import pyarrow as pa

    from hotpass.refine.resolve.features import build_features

    features = build_features(frame, profile)

    def code(codes: np.ndarray) -> pa.Array:  # -1: null
        return pa.array(codes.astype(np.int64), mask=codes < 0)

    def text(codes: np.ndarray, vocabulary: pa.Array) -> pa.Array:
        return vocabulary.take(pa.array(codes, mask=codes < 0))

    def values(slots: np.ndarray) -> pa.Array:  # slots fill from the first; none: null
        held = (slots >= 0).sum(axis=1)
        offsets = pa.array(np.r_[0, np.cumsum(held)].astype(np.int32))
        return pa.ListArray.from_arrays(offsets, pa.array(slots[slots >= 0].astype(np.int64)),
                                        mask=pa.array(held == 0))

    return pa.table({
        "unique_id": np.arange(len(frame), dtype=np.int64),
        "name": text(features.name, pa.array(features.name_text, pa.string())),
        "phonetic": code(features.phonetic), "lead": code(features.lead),
        "heads": code(features.heads), "tails": code(features.tails),
        "phones": values(features.phone), "emails": values(features.email),
        "domains": values(features.domain), "registration": code(features.registration),
        "address": text(features.address, features.address_text),
        "region": code(features.region),
    })


def splink_clusters(table, threshold: float, max_pairs: float = 1e6):
    try:
        import splink.comparison_library as cl
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError as exc:
        raise RuntimeError(SPLINK_MISSING) from exc

    logging.getLogger("splink").setLevel(logging.ERROR)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.8]).configure(
                term_frequency_adjustments=True),
            cl.ArrayIntersectAtSizes("phones", [1]),
            cl.ArrayIntersectAtSizes("emails", [1]),
            _domains(),
            cl.ExactMatch("registration"),
            cl.JaroWinklerAtThresholds("address", [0.9]),
            cl.ExactMatch("region"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name"), block_on("phonetic"),
            block_on("lead"), block_on("heads"), block_on("tails"),
            block_on("phones", arrays_to_explode=["phones"]),
            block_on("emails", arrays_to_explode=["emails"]),
            block_on("domains", arrays_to_explode=["domains"]),
            block_on("registration"), block_on("address"),
        ],
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(table), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("registration"), "l.name = r.name and list_has_any(l.domains, r.domains)"],
        recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=1)
    notes = []
    for rule in ("name", "registration", "phonetic"):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(rule))
        except ValueError as exc:  # Splink 5 rejects an m that underflowed to 0.0
            notes.append(f"EM blocked on {rule} failed: {str(exc).splitlines()[0][:80]}")
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold).as_pandas_dataframe()
    scored = predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r",
                                                "match_probability"]]
    labels = np.arange(len(table), dtype=np.int64)
    labels[clusters["unique_id"].to_numpy(np.int64)] = _codes(clusters["cluster_id"])
    return labels, scored.to_numpy(), notes


def _domains():
    """Array intersection on domains, its "different" level's m fixed at 0.05: EM drives it
    to exactly 0.0 (rows of one organisation never show two domains once free mail is
    gone) and Splink 5 then raises instead of flooring it."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(comparison_levels=[
        cll.NullLevel("domains"), cll.ArrayIntersectLevel("domains", min_intersection=1),
        cll.ElseLevel().configure(m_probability=0.05, fix_m_probability=True)],
        output_column_name="domains")


def _codes(values) -> np.ndarray:
    import pandas as pd

    return pd.factorize(values)[0].astype(np.int64) + 10**12  # never a row position


def splink_on_export(frame, threshold: float, max_pairs: float = 1e6) -> np.ndarray:
    """Cluster label per row of an export's plain columns (``name``, ``address``,
    ``region``, ``phone`` if present; ``publicsets.read_export``) with Splink set up as its
    documentation recommends: Jaro-Winkler levels for name (term frequencies) and address,
    Levenshtein levels for the phone, region exact; several blocking rules; the prior from
    deterministic rules, u by random sampling, then one EM session per blocking rule."""
    try:
        import splink.comparison_library as cl
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError as exc:
        raise RuntimeError(SPLINK_MISSING) from exc

    logging.getLogger("splink").setLevel(logging.ERROR)
    table = frame.copy()
    table.insert(0, "unique_id", np.arange(len(frame), dtype=np.int64))
    for column in ("name", "address", "region"):
        table[column] = table[column].str.lower().str.strip()
    phone = "phone" in table.columns
    comparisons = [cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.7]).configure(
                       term_frequency_adjustments=True),
                   cl.JaroWinklerAtThresholds("address", [0.95, 0.88, 0.7]),
                   cl.ExactMatch("region")]
    rules = [block_on("name"), block_on("address"), block_on("substr(name, 1, 4)", "region")]
    if phone:
        table["phone"] = table["phone"].str.replace(r"\D", "", regex=True)
        comparisons.append(cl.LevenshteinAtThresholds("phone", [1, 2]))
        rules.append(block_on("phone"))
    settings = SettingsCreator(link_type="dedupe_only", unique_id_column_name="unique_id",
                               comparisons=comparisons,
                               blocking_rules_to_generate_predictions=rules,
                               retain_matching_columns=False)
    linker = Linker(DuckDBAPI().register(table), settings)
    deterministic = [block_on("name")] + ([block_on("phone")] if phone else [])
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=1)
    for rule in rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold).as_pandas_dataframe()
    labels = np.arange(len(table), dtype=np.int64)
    labels[clusters["unique_id"].to_numpy(np.int64)] = _codes(clusters["cluster_id"])
    return labels
