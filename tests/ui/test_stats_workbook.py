"""The statistics workbook (.xlsx): the screen's 导出Excel button and `station-app stats --xlsx`
write the same sheets with the same cells, counts and rates as numbers; a bad path is refused
by field and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from station_app.services.session import Session
from tests.conftest import run_cli
from tests.factories import build_known_station
from tests.ui.conftest import HEAD, PASSWORD, settle

# November: the clock stands at 2025-12-10, after the period, so the app and the command line
# (on the real clock) both count deadlines as of 2025-11-30.
FROM, TO = "2025-11-01", "2025-11-30"


@pytest.fixture
def shown(qtbot: Any, worker: Session, head: Session, clock: Any, main_window: Any, runner: Any) -> Any:
    build_known_station(worker, head, clock)
    main_window.go("stats")
    view = main_window.stats
    view.date_from.setDate(QDate(2025, 11, 1))
    view.date_to.setDate(QDate(2025, 11, 30))
    view.reload()
    settle(qtbot, runner)
    assert view.stats is not None and view.stats.total == 8
    return view


def _cells(path: Path) -> dict[str, list[list[Any]]]:
    book = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


def _boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_the_button_and_the_command_line_write_the_same_workbook(
    qtbot: Any, shown: Any, runner: Any, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_button = tmp_path / "界面.xlsx"
    # the save dialog is Qt's own: answer it as a user picking a file would
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(from_button), "Excel 工作簿 (*.xlsx)"))
    with qtbot.waitSignal(shown.workbook_saved, timeout=20_000) as saved:
        qtbot.mouseClick(shown.export_button, Qt.MouseButton.LeftButton)
    assert saved.args == [from_button]
    settle(qtbot, runner)

    from_cli = tmp_path / "命令行.xlsx"
    r = run_cli(
        "stats", "--from", FROM, "--to", TO, "--xlsx", str(from_cli), data_dir=data_dir, user=HEAD, password=PASSWORD
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"file": str(from_cli)}

    screen, cli = _cells(from_button), _cells(from_cli)
    assert list(screen) == list(cli)
    assert list(screen)[:2] == ["汇总", "按争议类别"] and list(screen)[-1] == "绩效考评-按工作人员"
    assert screen == cli

    book = load_workbook(from_cli)
    summary = {row[0].value: row[1] for row in book["汇总"].iter_rows()}
    assert summary["统计期间"].value == f"{FROM} 至 {TO}"
    assert summary["受理总数"].value == 8 and summary["受理总数"].number_format == "0"
    on_time = summary["按时办结率"]
    assert isinstance(on_time.value, float) and on_time.number_format == "0.0%"  # not the text "12.5%"
    for label, cell in summary.items():
        if label != "统计期间":
            assert cell.value is None or isinstance(cell.value, int | float), label
    for title in ("按争议类别", "按镇", "按部门", "按办理方式", "按状态", "部门履职和责任追究"):
        for row in book[title].iter_rows(min_row=2):
            assert all(isinstance(c.value, int) for c in row[1:]), title
    performance = shown.stats.performance
    for view in performance.views():
        sheet = book["绩效考评-" + view.title]
        assert sheet.max_row == 1 + len(view.rows) + len(view.totals)
        for row in sheet.iter_rows(min_row=2):
            for cell, column in zip(row, view.columns):
                if column.kind == "count":
                    assert isinstance(cell.value, int), (sheet.title, column.label)
                if column.kind == "rate":
                    assert cell.value is None or isinstance(cell.value, int | float), (sheet.title, column.label)
                    assert cell.number_format == "0.0%"
    tax_lead = next(r for r in book["绩效考评-按部门(牵头、协办)"].iter_rows(min_row=2) if r[1].value == "牵头")
    assert isinstance(tax_lead[7].value, float) and 0.0 <= tax_lead[7].value <= 1.0


def test_a_bad_path_is_refused_by_field_and_nothing_is_written(
    qtbot: Any, shown: Any, runner: Any, data_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "没有的文件夹" / "统计.xlsx"
    shown.export_to(missing)
    settle(qtbot, runner)
    boxes = _boxes()
    assert boxes and "文件夹不存在" in boxes[-1].text()
    for box in boxes:
        box.close()
    assert not missing.parent.exists()

    folder = tmp_path / "像文件的文件夹.xlsx"
    folder.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    for target in (missing, folder, tmp_path / "统计.csv"):
        # refused before any password is asked: none is given
        r = run_cli(
            "stats", "--from", FROM, "--to", TO, "--xlsx", str(target), data_dir=data_dir, user=HEAD, password=None
        )
        assert r.returncode == 2, (target.name, r.stdout, r.stderr)
        assert "xlsx" in json.loads(r.stdout)["fields"], r.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not missing.parent.exists() and list(folder.iterdir()) == []


def test_without_xlsx_the_command_prints_the_figures_as_before(shown: Any, data_dir: Path) -> None:
    r = run_cli("stats", "--from", FROM, "--to", TO, "--json", data_dir=data_dir, user=HEAD, password=PASSWORD)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"date_from", "date_to", "as_of", "stations", "station_total", "departments", "workers"}
    assert out["station_total"]["total"] == 8 and out["as_of"] == TO
