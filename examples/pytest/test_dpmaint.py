"""Tests of dpmaint.set_maintenance against dpsim: each test on its own
site, faults set up by the test that needs them, the journal asked what the
code really sent."""
import pytest

from conftest import journal, mode, nalpath
from dpmaint import MaintenanceError, set_maintenance


def test_turns_maintenance_on(dpsim, site):
    set_maintenance(dpsim.wsman, "lab", "lab", site,
                    nalpath(site, "DP01.contoso.com"), 1)

    assert mode(dpsim, site, "DP01.contoso.com") == 1
    rows = journal(dpsim, site, method="SetDPMaintenanceMode")
    assert [(r["user"], r["old_mode"], r["new_mode"], r["result"]) for r in rows] == \
        [("lab", 0, 1, "ok")]


def test_access_denied_is_an_error_and_changes_nothing(dpsim, site):
    dpsim.control("POST", "faults?site=" + site, {
        "nalpath": "*PXE01*", "effect": "fault", "hresult": "WBEM_E_ACCESS_DENIED"})

    with pytest.raises(MaintenanceError, match="HTTP 500"):
        set_maintenance(dpsim.wsman, "lab", "lab", site,
                        nalpath(site, "PXE01.contoso.com"), 1)

    assert mode(dpsim, site, "PXE01.contoso.com") == 0
    rows = journal(dpsim, site, result="WBEM_E_ACCESS_DENIED")
    assert len(rows) == 1 and rows[0]["hresult"] == "0x80041003"


def test_sites_are_separate(dpsim, site):
    # The other tests changed their own sites only: this one is as the
    # fixture says, with an empty journal.
    assert mode(dpsim, site, "DP01.contoso.com") == 0
    assert mode(dpsim, site, "DP02.contoso.com") == 1
    assert journal(dpsim, site) == []


def test_a_wrong_password_is_refused(dpsim, site):
    with pytest.raises(MaintenanceError, match="HTTP 401"):
        set_maintenance(dpsim.wsman, "lab", "wrong", site,
                        nalpath(site, "DP01.contoso.com"), 1)
    assert mode(dpsim, site, "DP01.contoso.com") == 0
