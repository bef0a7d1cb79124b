"""OpenLineage run events (START, COMPLETE, FAIL) for Hotpass jobs.

Contract:
- ``lineage_run(job_name, inputs, namespace=...)`` is a context manager around one job
  run (``refine`` now; ``enrich``, ``qa`` and flow runs later). It emits START on entry,
  COMPLETE on a clean exit and FAIL (with an ``errorMessage`` run facet) when the block
  raises, then re-raises. The yielded ``LineageRun`` takes the datasets learnt during the
  run (``run.inputs`` / ``run.outputs``) before COMPLETE or FAIL.
- ``file_dataset(...)`` builds a dataset for a local file (namespace ``file``, the
  absolute path as name, ``path#sheet`` for one sheet of a workbook) with a schema facet
  and row counts (input or output statistics facet).
- The client is configured the OpenLineage client's standard ways: ``OPENLINEAGE_URL``
  (+ ``OPENLINEAGE_ENDPOINT``, ``OPENLINEAGE_API_KEY``), ``OPENLINEAGE__TRANSPORT__*``
  variables, an ``openlineage.yml`` (``OPENLINEAGE_CONFIG``, the working directory or
  ``~/.openlineage``); ``OPENLINEAGE_DISABLED=true`` turns it off. None of them set: no
  client, no events, nothing printed.
- ``prefect_parent_facet(namespace)`` is a ``parent`` run facet pointing at the Prefect
  flow run in progress (or at ``OPENLINEAGE_PARENT_ID`` = ``namespace/job/run-id``, the
  variable dbt-ol uses, for a ``hotpass`` subprocess started by a flow); ``lineage_run``
  adds it by default.

Pitfalls:
- The client joins URL and endpoint with ``urljoin``: ``OPENLINEAGE_URL`` =
  ``http://host:5002/api/v1`` plus the default endpoint ``api/v1/lineage`` would post to
  ``/api/api/v1/lineage``. ``split_lineage_url`` accepts ``http://host:port``,
  ``.../api/v1`` and ``.../api/v1/lineage`` and always posts to ``.../api/v1/lineage``.
- An endpoint that is down must cost a run little: HTTP transports get a 1 s timeout and
  no connect retries, and after the first failed event the run sends no more (one
  ``hotpass: warning:`` line on stderr). A lineage failure never fails the job.
- Prefect is consulted only when it is already imported: a flow run context cannot exist
  otherwise, and importing Prefect costs seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hotpass import __version__

log = logging.getLogger("hotpass.observability")

DEFAULT_NAMESPACE = "hotpass"
DEFAULT_ENDPOINT = "api/v1/lineage"
FILE_NAMESPACE = "file"
PRODUCER = "https://github.com/hotpass/hotpass"
HTTP_TIMEOUT_S = 1.0
HTTP_RETRY = {"total": 2, "connect": 0, "read": 0, "status": 2, "backoff_factor": 0.2,
              "status_forcelist": [500, 502, 503, 504], "allowed_methods": ["HEAD", "POST"]}
_ALIASED = "OPENLINEAGE__TRANSPORT__TRANSPORTS__DEFAULT_HTTP__"  # set by the client itself


def split_lineage_url(url: str, endpoint: str | None = None) -> tuple[str, str]:
    """``(base_url, endpoint)`` for the HTTP transport, never doubling ``/api/v1``."""
    if endpoint:
        return url.strip(), endpoint
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    for suffix in ("/api/v1/lineage", "/api/v1"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return urlunsplit((parts.scheme, parts.netloc, path + "/", parts.query, "")), DEFAULT_ENDPOINT


def _config_file() -> str | None:
    candidates = [os.environ.get("OPENLINEAGE_CONFIG"), os.path.join(os.getcwd(), "openlineage.yml"),
                  os.path.join(os.path.expanduser("~/.openlineage"), "openlineage.yml")]
    return next((p for p in candidates if p and os.path.isfile(p)), None)


def _env_transport() -> bool:
    return any(k.upper().startswith("OPENLINEAGE__TRANSPORT") and not k.upper().startswith(_ALIASED)
               for k in os.environ)


def lineage_configured() -> bool:
    if os.environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return False
    return bool(os.environ.get("OPENLINEAGE_URL", "").strip() or _env_transport()
                or _config_file())


def lineage_client():
    """An ``OpenLineageClient`` configured the standard ways, or ``None`` if none is."""
    if not lineage_configured():
        return None
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    url = os.environ.get("OPENLINEAGE_URL", "").strip()
    if url and not (_env_transport() or _config_file()):
        base, endpoint = split_lineage_url(url, os.environ.get("OPENLINEAGE_ENDPOINT"))
        config: dict[str, Any] = {"type": "http", "url": base, "endpoint": endpoint,
                                  "timeout": HTTP_TIMEOUT_S, "retry": dict(HTTP_RETRY)}
        if api_key := os.environ.get("OPENLINEAGE_API_KEY"):
            config["auth"] = {"type": "api_key", "apiKey": api_key}
        return OpenLineageClient(transport=HttpTransport(HttpConfig.from_dict(config)))
    client = OpenLineageClient()
    transport = client.transport
    if isinstance(transport, HttpTransport):
        given = client.config.transport or {}
        if transport.endpoint == DEFAULT_ENDPOINT and "endpoint" not in given:
            transport.url, transport.endpoint = split_lineage_url(transport.url)
        if "timeout" not in given:
            transport.timeout = HTTP_TIMEOUT_S
        if "retry" not in given:
            transport.config.retry = dict(HTTP_RETRY)
    return client


def _describe(client) -> str:
    transport = client.transport
    url = getattr(transport, "url", None)
    if isinstance(url, str):
        from urllib.parse import urljoin

        from hotpass.redact import redact_url

        return f"OpenLineage endpoint {redact_url(urljoin(url, transport.endpoint))}"
    return f"OpenLineage {transport.kind} transport"


# --------------------------------------------------------------------------- datasets


def file_dataset(path: Path | str, *, sheet: str = "", columns: Sequence[str] = (),
                 rows: int | None = None, output: bool = False, column_type: str = "string"):
    """An ``InputDataset`` (or ``OutputDataset``) for a local file or one of its sheets."""
    from openlineage.client.event_v2 import InputDataset, OutputDataset
    from openlineage.client.facet_v2 import (
        input_statistics_input_dataset,
        output_statistics_output_dataset,
        schema_dataset,
    )

    resolved = Path(path).resolve()
    name = f"{resolved.as_posix()}#{sheet}" if sheet else resolved.as_posix()
    facets: dict[str, Any] = {}
    if columns:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(fields=[
            schema_dataset.SchemaDatasetFacetFields(name=str(c), type=column_type,
                                                    ordinal_position=i)
            for i, c in enumerate(columns, start=1)])
    size = resolved.stat().st_size if resolved.is_file() else None
    if output:
        stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=rows, size=size, fileCount=1)
        return OutputDataset(namespace=FILE_NAMESPACE, name=name, facets=facets,
                             outputFacets={"outputStatistics": stats})
    stats_in = input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
        rowCount=rows, size=None if sheet else size, fileCount=1)
    return InputDataset(namespace=FILE_NAMESPACE, name=name, facets=facets,
                        inputFacets={"inputStatistics": stats_in})


# --------------------------------------------------------------------------- parent


def parent_run_facet(run_id: str, job_name: str, namespace: str):
    from openlineage.client.facet_v2 import parent_run

    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=str(run_id)),
        job=parent_run.Job(namespace=namespace, name=job_name),
        root=parent_run.Root(run=parent_run.RootRun(runId=str(run_id)),
                             job=parent_run.RootJob(namespace=namespace, name=job_name)))


def prefect_parent_facet(namespace: str = DEFAULT_NAMESPACE):
    """The ``parent`` facet for the Prefect flow run in progress, else ``None``."""
    if "prefect" in sys.modules:
        try:
            from prefect.context import FlowRunContext
        except ImportError:  # pragma: no cover - a broken Prefect install
            FlowRunContext = None  # noqa: N806
        context = FlowRunContext.get() if FlowRunContext else None
        if context is not None and getattr(context, "flow_run", None) is not None:
            flow = getattr(context, "flow", None)
            name = getattr(flow, "name", None) or context.flow_run.name
            return parent_run_facet(str(context.flow_run.id), name, namespace)
    given = os.environ.get("OPENLINEAGE_PARENT_ID", "").strip()
    parts = given.split("/")
    if len(parts) >= 3:
        return parent_run_facet(parts[-1], "/".join(parts[1:-1]), parts[0])
    return None


# --------------------------------------------------------------------------- runs


@dataclass
class LineageRun:
    """One job run's identity and datasets; ``enabled`` is False when nothing is sent."""

    job_name: str
    namespace: str
    client: Any = None
    run_id: str = ""
    inputs: list[Any] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    run_facets: dict[str, Any] = field(default_factory=dict)
    broken: bool = False

    @property
    def enabled(self) -> bool:
        return self.client is not None and not self.broken

    def emit(self, state: str, error: BaseException | None = None) -> None:
        if not self.enabled:
            return
        from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
        from openlineage.client.facet_v2 import (
            error_message_run,
            job_type_job,
            processing_engine_run,
        )

        facets = dict(self.run_facets)
        facets["processing_engine"] = processing_engine_run.ProcessingEngineRunFacet(
            version=__version__, name="hotpass", openlineageAdapterVersion=_client_version())
        if error is not None:
            facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=getattr(error, "message", None) or str(error) or type(error).__name__,
                programmingLanguage="python",
                stackTrace="".join(traceback.format_exception(error)))
        job_facets = {"jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="HOTPASS", jobType="JOB")}
        event = RunEvent(
            eventType=getattr(RunState, state),
            eventTime=dt.datetime.now(dt.UTC).isoformat(),
            run=Run(runId=self.run_id, facets=facets),
            job=Job(namespace=self.namespace, name=self.job_name, facets=job_facets),
            inputs=list(self.inputs), outputs=list(self.outputs), producer=PRODUCER)
        try:
            self.client.emit(event)
        except Exception as exc:  # lineage never fails the job
            self.broken = True
            log.warning("hotpass: warning: %s did not take the %s event (%s); no more lineage "
                        "events for this run", _describe(self.client), state,
                        type(exc).__name__)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close(HTTP_TIMEOUT_S)
            except Exception:  # pragma: no cover - closing a session does not fail
                log.debug("closing the OpenLineage client failed", exc_info=True)


def _client_version() -> str:
    from openlineage.client import constants

    return constants.__version__


@contextmanager
def lineage_run(job_name: str, inputs: Iterable[Any] = (), *,
                namespace: str = DEFAULT_NAMESPACE, parent: Any = "auto",
                client: Any = "auto") -> Iterator[LineageRun]:
    """START now; COMPLETE or FAIL (then re-raise) when the block ends. See the module doc."""
    client = lineage_client() if client == "auto" else client
    run = LineageRun(job_name=job_name, namespace=namespace, client=client)
    if client is None:
        yield run
        return
    from openlineage.client.uuid import generate_new_uuid

    run.run_id = str(generate_new_uuid())
    run.inputs = list(inputs)
    parent = prefect_parent_facet(namespace) if parent == "auto" else parent
    if parent is not None:
        run.run_facets["parent"] = parent
    run.emit("START")
    try:
        yield run
    except BaseException as exc:
        run.emit("FAIL", exc)
        raise
    else:
        run.emit("COMPLETE")
    finally:
        run.close()
