"""Enrichment: fill the gaps of a refined dataset from offline sources, with provenance.

Rooms: ``domains`` (website <-> e-mail domain, public-suffix aware, free mail excluded),
``gazetteer`` (province from address or town, offline), ``reference`` (local tables the
profile names), ``people`` (person names parsed and cased), ``research`` (the three
network gates and the SearXNG client), ``engine`` (one row's fills from all of them),
``run`` (the ``enrich`` procedure: read, enrich, write atomically, observe) and ``plan``
(``hotpass plan research``).

Pitfall: this package module imports nothing heavy; the CLI imports it at ``--help``.
"""
