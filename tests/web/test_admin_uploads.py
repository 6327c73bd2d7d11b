"""Registers that would cost too much to read are refused through the admin upload and
the command line alike: a clear message naming the file, status 422, nothing written."""

from __future__ import annotations

from locator.cli import cli
from locator.importer.history import history_dir
from tests.registers import good_rows, inflated_xlsx, write_register
from tests.web.test_admin import TOKEN, _app, _layer, _signin, _upload


def test_an_xlsx_bomb_is_refused_and_nothing_is_written(ddir, tmp_path, runner):
    workbook = write_register(tmp_path / "r", "xlsx", good_rows()).read_bytes()
    bomb = inflated_xlsx(workbook, 290 * 2**20)
    before = _layer(ddir)
    client = _app(ddir).test_client()
    resp = _upload(
        client,
        bomb,
        "驿站名单.xlsx",
        action="apply",
        headers={"Authorization": f"Bearer {TOKEN}", "Accept-Language": "en"},
    )
    assert resp.status_code == 422
    assert not resp.json["written"]
    [problem] = resp.json["problems"]
    assert problem["code"] == "too-large"
    text = str(problem)
    assert "驿站名单.xlsx" in text and "290 MB" in text and "解压后" in text
    # the report page a signed-in clerk sees says it, in Chinese first
    page = _upload(client, bomb, "驿站名单.xlsx", csrf_token=_signin(client))
    assert page.status_code == 422 and "驿站名单.xlsx：工作簿解压后为 290 MB" in page.text
    out = tmp_path / "bomb.xlsx"
    out.write_bytes(bomb)
    res = runner.invoke(
        cli, ["import", str(out), "--layer", "love_stations", "--data-dir", str(ddir)]
    )
    assert res.exit_code == 1 and "bomb.xlsx" in res.output and "290 MB" in res.output
    assert _layer(ddir) == before
    assert not history_dir(ddir).exists()
