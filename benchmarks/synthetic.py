"""A synthetic scale-up, generated on the fly and never committed: copies of the bundled jurisdictions
under user-assigned ISO codes (QAA, QAB, ...), with perturbed counts.

Every synthetic jurisdiction is a config file plus a data folder, exactly as a real seventh one
would be; nothing in the pipeline knows it is synthetic except the names ("Synthetic ...").
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
import re
import shutil
import string
from pathlib import Path

import openpyxl
import pandas as pd
import yaml

from wbtip_pipeline.sources.config import CONFIG_DIR, load_configs


def synthetic_codes(n: int) -> list[str]:
    letters = string.ascii_uppercase
    return ["Q" + a + b for a, b in itertools.islice(itertools.product(letters, letters), n)]


def _perturb(value: str | int, rng: random.Random) -> str | int:
    """Scale a whole count by 0.8-1.25; `<5`, blanks and small counts stay as they are."""
    text = str(value).strip()
    if not re.fullmatch(r"\d+", text) or int(text) < 5:
        return value
    scaled = max(5, round(int(text) * rng.uniform(0.8, 1.25)))
    return scaled if isinstance(value, int) else str(scaled)


def _rewrite_csv(
    src: Path, dst: Path, encoding: str, delimiter: str, value_columns: list[str], rng
):
    text = src.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [h.lstrip("\ufeff") for h in rows[0]]
    idx = [header.index(c) for c in value_columns]
    for row in rows[1:]:
        for i in idx:
            if i < len(row):
                row[i] = _perturb(row[i], rng)
    out = io.StringIO(newline="")
    csv.writer(
        out, delimiter=delimiter, lineterminator="\r\n" if "\r\n" in text else "\n"
    ).writerows(rows)
    dst.write_bytes(out.getvalue().encode(encoding))


def _rewrite_workbook(src: Path, dst: Path, header_row: int, rng) -> None:
    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        header = [c.value for c in ws[header_row]]
        years = [
            i for i, h in enumerate(header) if h is not None and re.fullmatch(r"\d{4}", str(h))
        ]
        for row in ws.iter_rows(min_row=header_row + 1):
            for i in years:
                if row[i].value is not None:
                    row[i].value = _perturb(row[i].value, rng)
    wb.save(dst)


def _rewrite_json(src: Path, dst: Path, rng) -> None:
    def walk(node):
        if isinstance(node, dict):
            return {k: (v if k == "reporting_year" else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return _perturb(node, rng) if isinstance(node, int) and not isinstance(node, bool) else node

    dst.write_text(
        json.dumps(walk(json.loads(src.read_text("utf-8"))), ensure_ascii=False), "utf-8"
    )


def build_scaled(
    sources: Path,
    reference: Path,
    target: Path,
    copies: int,
    seed: int = 7,
    extra: int | None = None,
) -> dict[str, Path]:
    """Write the bundled jurisdictions and (`copies` - 1) times as many synthetic ones (or
    `extra` of them, when given) under `target`: sources, configs, reference."""
    rng = random.Random(seed)
    configs = load_configs(CONFIG_DIR)
    out = {
        "sources": target / "sources",
        "configs": target / "configs",
        "reference": target / "reference",
    }
    for path in out.values():
        path.mkdir(parents=True, exist_ok=True)
    base_codes = sorted(configs)
    # the real jurisdictions stay (the report and the pack have their chapters), plus
    # copies - 1 synthetic sets: `copies` times the data in all
    for code in base_codes:
        shutil.copy(CONFIG_DIR / f"{code}.yaml", out["configs"] / f"{code}.yaml")
        shutil.copytree(sources / code, out["sources"] / code, dirs_exist_ok=True)
    codes = synthetic_codes((copies - 1) * len(base_codes) if extra is None else extra)
    population = pd.read_csv(reference / "population_worldbank.csv")
    tiers = pd.read_csv(reference / "us_tip_tiers.csv")
    figures = pd.read_csv(reference / "us_tip_figures.csv", dtype=str, keep_default_na=False)
    pop_rows, tier_rows, figure_rows = [population], [tiers], [figures]
    for code, base in zip(codes, itertools.cycle(base_codes)):
        cfg_data = yaml.safe_load((CONFIG_DIR / f"{base}.yaml").read_text("utf-8"))
        cfg_data.pop("brief_languages", None)  # a synthetic member's briefs: English only
        prefix, new_prefix = base.lower() + "_", code.lower() + "_"
        cfg_data.update(
            jurisdiction=code,
            name=f"Synthetic {code} (copy of {base})",
            file_pattern=cfg_data["file_pattern"].replace(prefix, new_prefix),
        )
        (out["configs"] / f"{code}.yaml").write_text(
            yaml.safe_dump(cfg_data, allow_unicode=True), "utf-8"
        )
        cfg = configs[base]
        folder = out["sources"] / code
        folder.mkdir(exist_ok=True)
        for src in sorted((sources / base).iterdir()):
            dst = folder / src.name.replace(prefix, new_prefix)
            if src.suffix in (".yaml", ".yml"):
                text = src.read_text("utf-8").replace(
                    f'jurisdiction: "{base}"', f'jurisdiction: "{code}"'
                )
                dst.write_text(text, "utf-8")
            elif cfg.layout == "long_csv":
                _rewrite_csv(src, dst, cfg.encoding, cfg.delimiter, [cfg.columns["value"]], rng)
            elif cfg.layout == "sex_columns_csv":
                _rewrite_csv(src, dst, cfg.encoding, cfg.delimiter, list(cfg.sex_columns), rng)
            elif cfg.layout == "year_columns_workbook":
                _rewrite_workbook(src, dst, cfg.header_offset + 1, rng)
            elif cfg.layout == "nested_json":
                _rewrite_json(src, dst, rng)
            else:
                shutil.copy(src, dst)
        pop_rows.append(
            population[population["Country Code"] == base].assign(
                **{"Country Code": code, "Country Name": code}
            )
        )
        tier_rows.append(tiers[tiers["jurisdiction"] == base].assign(jurisdiction=code))
        figure_rows.append(figures[figures["jurisdiction"] == base].assign(jurisdiction=code))
    pd.concat(pop_rows).to_csv(out["reference"] / "population_worldbank.csv", index=False)
    pd.concat(tier_rows).to_csv(out["reference"] / "us_tip_tiers.csv", index=False)
    pd.concat(figure_rows).to_csv(out["reference"] / "us_tip_figures.csv", index=False)
    shutil.copy(
        reference / "ct_mechanism_checklist.csv", out["reference"] / "ct_mechanism_checklist.csv"
    )
    if (reference / "evidence_registry.yaml").exists():  # the grades of the evidence's sites
        shutil.copy(
            reference / "evidence_registry.yaml", out["reference"] / "evidence_registry.yaml"
        )
    return out
