"""Reporting layer: the data dictionary (and, downstream of the tables, the report)."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from wbtip_pipeline import __version__
from wbtip_pipeline.assets import DATA_OWNERS, DOCUMENT_OWNERS, REPORTING, follow_inputs
from wbtip_pipeline.assets.common import (
    PUBLISHED_FRESHNESS,
    publish_checked,
    published_table,
    schema_check_spec,
)
from wbtip_pipeline.assets.reference import member_source_keys
from wbtip_pipeline.assets.sources import configs_in_use
from wbtip_pipeline.assets.versions import (
    DICTIONARY,
    PUBLICATION,
    RECOMMENDATIONS,
    REPORT,
    WORKSHOP,
    code_version,
    data_version,
)
from wbtip_pipeline.assets.workshop import FEEDBACK_ASSET, feedback_for
from wbtip_pipeline.checks import check_result
from wbtip_pipeline.dictionary import render_dictionary
from wbtip_pipeline.presentation.audit import AuditResult, DisclosureAuditError
from wbtip_pipeline.presentation.facts import TABLE_NAMES
from wbtip_pipeline.publication import DICTIONARY as DICTIONARY_FILE
from wbtip_pipeline.publication import REPORT as REPORT_DIR
from wbtip_pipeline.publication import WORKSHOP as WORKSHOP_DIR
from wbtip_pipeline.publication import PublicationError, describe, staged_folder
from wbtip_pipeline.resources import PipelinePaths, WarehouseResource
from wbtip_pipeline.schemas.recommendations import RECOMMENDATION_SCHEMAS
from wbtip_pipeline.schemas.registry import table_schemas
from wbtip_pipeline.schemas.workshop import WORKSHOP_SCHEMAS
from wbtip_pipeline.schemas.workshop import recommendation_changes_schema as workshop_changes_schema
from wbtip_pipeline.settings import chart_cache
from wbtip_pipeline.transforms.recommendation_status import (
    compute_recommendation_status,
    mark_rejected_changes,
)
from wbtip_pipeline.transforms.recommendations import (
    compute_recommendation_changes,
    compute_recommendations,
    load_rules,
    tables_needed,
)
from wbtip_pipeline.validation import Finding
from wbtip_pipeline.warehouse import write_text_atomic


@dg.asset(
    group_name=REPORTING,
    code_version=code_version(DICTIONARY),
    description="The data dictionary of every published table, column and code, from the pandera schemas.",
    kinds={"markdown"},
    owners=DOCUMENT_OWNERS,
    # it reads no asset: only a deploy that changes the schemas (its code version) refreshes it
    automation_condition=follow_inputs(),
)
def data_dictionary(paths: PipelinePaths) -> dg.MaterializeResult:
    schemas = table_schemas()
    write_text_atomic(render_dictionary(schemas), paths.staged(DICTIONARY_FILE))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.published(DICTIONARY_FILE))),
            "tables": len(schemas),
        },
        data_version=data_version(),
    )


EVIDENCE_TABLES = tables_needed(load_rules())
# the grades of the pages the evidence cites: priorities weigh them (not an evidence table)
SOURCE_GRADES = "evidence_sources"
PUBLISHED_SCHEMAS = {
    "recommendations": RECOMMENDATION_SCHEMAS["recommendations"],
    "recommendation_changes": workshop_changes_schema,
    **WORKSHOP_SCHEMAS,
}


@dg.multi_asset(
    outs={
        "recommendations": dg.AssetOut(
            group_name=REPORTING,
            code_version=code_version(RECOMMENDATIONS),
            **published_table(
                "recommendations",
                PUBLISHED_SCHEMAS["recommendations"],
                "Evidence-linked recommendations per jurisdiction and for the region, prioritised.",
            ),
            automation_condition=follow_inputs(),
        ),
        "recommendation_changes": dg.AssetOut(
            group_name=REPORTING,
            code_version=code_version(RECOMMENDATIONS),
            **published_table(
                "recommendation_changes",
                PUBLISHED_SCHEMAS["recommendation_changes"],
                "What changed since the previous materialisation: new, unchanged, resolved (gap closed) or rejected (by the workshop).",
            ),
            automation_condition=follow_inputs(),
        ),
        "recommendation_status": dg.AssetOut(
            group_name=REPORTING,
            code_version=code_version(RECOMMENDATIONS),
            **published_table(
                "recommendation_status",
                PUBLISHED_SCHEMAS["recommendation_status"],
                "The validation workshop's latest decision on each recommendation, or not_discussed.",
            ),
            automation_condition=follow_inputs(),
        ),
    },
    ins={
        **{name: dg.AssetIn(name) for name in EVIDENCE_TABLES},
        FEEDBACK_ASSET: dg.AssetIn(FEEDBACK_ASSET),
        SOURCE_GRADES: dg.AssetIn(SOURCE_GRADES),
    },
    check_specs=[schema_check_spec(name) for name in PUBLISHED_SCHEMAS],
)
def recommendations(context: dg.AssetExecutionContext, warehouse: WarehouseResource, **tables):
    feedback = tables.pop(FEEDBACK_ASSET)
    current = compute_recommendations(tables)
    # the previous materialisation is the published table, read before it is replaced
    previous = warehouse.get().read("recommendations")
    known, findings = feedback_for(feedback, current, previous)
    if findings:  # invalid rows are left out of the status; the source check names them
        context.log.warning(f"{len(findings)} feedback finding(s), e.g. {findings[0].message}")
    status = compute_recommendation_status(feedback, known)
    changes = mark_rejected_changes(compute_recommendation_changes(previous, current), status)
    for name, frame in (
        ("recommendations", current),
        ("recommendation_changes", changes),
        ("recommendation_status", status),
    ):
        yield from publish_checked(
            warehouse,
            name,
            frame,
            PUBLISHED_SCHEMAS[name],
            ["recommendation_id"],
            output_name=name,
        )


# the final report and the pack read every table the presentation layer knows
REPORT_TABLES = list(TABLE_NAMES)


def release() -> str:
    """The package version and, in a git checkout, the commit it runs from."""
    import subprocess

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def source_file_hashes(instance: dg.DagsterInstance) -> dict[str, str]:
    """{file: SHA-256} of every source file, from the latest materialisations of the source layer."""
    files: dict[str, str] = {}
    for key in sorted(member_source_keys(configs_in_use()), key=str):
        event = instance.get_latest_materialization_event(key)
        meta = event.asset_materialization.metadata if event and event.asset_materialization else {}
        for name in ("source_hashes", "source_files"):
            if name in meta:
                files.update(meta[name].value)
    return dict(sorted(files.items()))


def run_id_of(context: dg.AssetExecutionContext) -> str:
    """The id of the run executing the asset; an asset called as a function (a test) has none."""
    try:
        return context.run.run_id
    except dg.DagsterError:  # DagsterInvalidPropertyError: invoked directly, outside a run
        return "direct invocation"


# the disclosure audit of a published document: a blocking check named `<asset>_<property>`
REPORT_AUDIT = "final_report_disclosure_audit"
PACK_AUDIT = "workshop_pack_disclosure_audit"
AUDIT_DESCRIPTION = (
    "No protected cell (<5, [c], an interval from 0) can be narrowed to fewer than three values "
    "from all that {document} prints: cells, tables' totals, shares, ratios (LP audit, "
    "presentation/audit.py); it is published only if so, and a failure names the cell."
)


def audit_check_spec(name: str, asset: str, document: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name, asset=asset, blocking=True, description=AUDIT_DESCRIPTION.format(document=document)
    )


def audit_check(audit: AuditResult, name: str, asset: str) -> dg.AssetCheckResult:
    """The audit as a check result: one finding per cell a reader could re-derive (the cell,
    its published text, what narrows it and where that is printed)."""
    findings = [
        Finding(jurisdiction=str(f.cell[0]) if isinstance(f.cell, tuple) else "", file=asset,
                row="", column="", value="", rule=f.message,
                year=int(f.cell[1]) if isinstance(f.cell, tuple) else None)
        for f in audit.findings
    ]  # fmt: skip
    return check_result(
        findings,
        check_name=name,
        asset_key=dg.AssetKey(asset),
        extra={"audit": dg.MetadataValue.json(audit.summary())},
    )


def _audit_failure(error: DisclosureAuditError) -> dg.Failure:
    return dg.Failure(
        description=f"{error}; nothing was written, the last published version stays.",
        metadata={"findings": len(error.result.findings)},
    )


@dg.asset(
    ins={name: dg.AssetIn(name) for name in REPORT_TABLES},
    group_name=REPORTING,
    code_version=code_version(REPORT),
    description="The report for policy makers (HTML and PDF), every number from the tables, with disclosure control.",
    automation_condition=follow_inputs(),
    kinds={"html", "pdf"},
    owners=DOCUMENT_OWNERS,
    freshness_policy=PUBLISHED_FRESHNESS,
    check_specs=[audit_check_spec(REPORT_AUDIT, "final_report", "the report")],
)
def final_report(context: dg.AssetExecutionContext, paths: PipelinePaths, **tables):
    provenance = {
        "run_id": run_id_of(context),
        "code_version": release(),
        "source_files": source_file_hashes(context.instance),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    from wbtip_pipeline.report.render import render_report  # charts and Typst: only when run

    published = paths.published(REPORT_DIR)
    cache, prune = chart_cache(paths.output)
    try:
        with staged_folder(paths.staged(REPORT_DIR)) as folder:
            result = render_report(tables, provenance, folder, cache_dir=cache, prune_cache=prune)
    except DisclosureAuditError as error:
        yield audit_check(error.result, REPORT_AUDIT, "final_report")
        raise _audit_failure(error) from error
    yield audit_check(result.audit, REPORT_AUDIT, "final_report")
    yield dg.MaterializeResult(
        metadata={
            "html": dg.MetadataValue.path(str(published / result.html_path.name)),
            "pdf": dg.MetadataValue.path(str(published / result.pdf_path.name)),
            "pages": result.page_count,
            "charts": result.chart_count,
            "tables": result.table_count,
            "sections": dg.MetadataValue.text(", ".join(result.sections)),
            "secondary_suppressions": result.secondary_suppressions,
            "published_exports": dg.MetadataValue.json([p.name for p in result.published_files]),
            "upstream_assets": dg.MetadataValue.json(REPORT_TABLES),
            "source_files": dg.MetadataValue.json(provenance["source_files"]),
            "timings": dg.MetadataValue.json(result.timings),
            "disclosure_audit": dg.MetadataValue.json(result.audit.summary()),
        },
        data_version=data_version(),
    )


@dg.asset(
    ins={name: dg.AssetIn(name) for name in REPORT_TABLES},
    deps=["final_report"],
    group_name=REPORTING,
    code_version=code_version(WORKSHOP),
    description="The validation workshop pack: slide deck (HTML, PDF), facilitator's guide, a two-page brief per jurisdiction and language, the feedback form.",
    automation_condition=follow_inputs(),
    kinds={"html", "pdf", "excel"},
    owners=DOCUMENT_OWNERS,
    freshness_policy=PUBLISHED_FRESHNESS,
    check_specs=[audit_check_spec(PACK_AUDIT, "workshop_pack", "the slides and the briefs")],
)
def workshop_pack(paths: PipelinePaths, **tables):
    status = tables.get("recommendation_status")
    from wbtip_pipeline.workshop.pack import render_workshop_pack  # only when run

    published = paths.published(WORKSHOP_DIR)
    cache, prune = chart_cache(paths.output)
    try:
        with staged_folder(paths.staged(WORKSHOP_DIR)) as folder:
            pack = render_workshop_pack(
                tables, folder, status=status, cache_dir=cache, prune_cache=prune
            )
    except DisclosureAuditError as error:
        yield audit_check(error.result, PACK_AUDIT, "workshop_pack")
        raise _audit_failure(error) from error
    yield audit_check(pack.audit, PACK_AUDIT, "workshop_pack")

    def path(written: Path) -> dg.MetadataValue:  # where readers find it once published
        return dg.MetadataValue.path(str(published / written.relative_to(folder)))

    yield dg.MaterializeResult(
        metadata={
            "slides_html": path(pack.slides_html),
            "slides_pdf": path(pack.slides_pdf),
            "feedback_form": path(pack.feedback_form),
            "facilitator_guide": path(pack.guide_pdf),
            "guide_pages": pack.guide_pages,
            "slides": pack.slide_count,
            "briefs": dg.MetadataValue.json(
                {code: str(published / p.relative_to(folder)) for code, p in pack.briefs.items()}
            ),
            "brief_pages": dg.MetadataValue.json(pack.brief_pages),
            "translated_briefs": dg.MetadataValue.json(
                {f"{b.code}_{b.lang}": b.pages for b in pack.all_briefs if b.lang != "en"}
            ),
            "disclosure_audit": dg.MetadataValue.json(pack.audit.summary()),
        },
        data_version=data_version(),
    )


def build_publication(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The asset that makes a refresh visible: downstream of every asset that stages a table or
    a document (it reads `upstream`, the last of them: `definitions.last_stagers`), so it runs
    only once all of them succeeded in its run, and publishes everything staged together
    (`publication.py`)."""

    @dg.asset(
        name="publication",
        deps=upstream,
        group_name=REPORTING,
        code_version=code_version(PUBLICATION),
        description=(
            "Every table, CSV and document of the refresh made visible together: staged tables "
            "swapped in one transaction, the output folder's `current` link moved to a complete "
            "folder, a row in the `publications` table. It reads the last documents, which read "
            "every table: it runs only when every upstream step of its run succeeded, and until "
            "then readers keep the previous publication. Run alone, it publishes what earlier "
            "runs staged."
        ),
        automation_condition=follow_inputs(),
        kinds={"sql", "csv"},
        owners=DATA_OWNERS,
    )
    def publication(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        store = warehouse.get()
        try:
            done = store.publish_staged(run_id_of(context), source_file_hashes(context.instance))
        except PublicationError as error:
            raise dg.Failure(description=str(error)) from error
        finally:
            store.dispose()
        context.log.info(describe(done))
        metadata = {"published": done is not None}
        if done is not None:
            metadata |= {
                "publication_id": done.publication_id,
                "folder": dg.MetadataValue.path(str(done.folder)),
                "changed": dg.MetadataValue.json(done.changed),
                "tables": dg.MetadataValue.json(done.tables),
                "dagster/row_count": len(done.changed),
            }
        return dg.MaterializeResult(metadata=metadata, data_version=data_version())

    return publication
