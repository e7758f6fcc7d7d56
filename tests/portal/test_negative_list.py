"""Switching a negative-list entry off from the policy page: the reason's limit is the API's,
and a longer one comes back beside the row's box with what was typed."""

import pytest

from scenarios.services.negative_list import negative_entry_create
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db
URL = "/workspace/committee/policy/"


def row_of(html: str, entry) -> str:
    return html.split(f'id="negative-{entry.pk}"')[1].split("</tr>")[0]


def test_a_deactivation_reason_longer_than_the_api_takes_comes_back_in_place(province_reviewer):
    # Given an active entry
    entry = negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="虚拟货币", reason="金融风险"
    )
    client = signed_in(province_reviewer)
    reason = "政" * 501

    # When it is switched off with a reason of 501 characters
    sent = client.post(
        f"/workspace/committee/negative-list/{entry.pk}/deactivate/", {"reason": reason}
    )

    # Then it stays on, and its row says the limit beside the box, which keeps the text and
    # stops typing at the same 500 the API takes
    assert sent["Location"].endswith(f"#negative-{entry.pk}")
    entry.refresh_from_db()
    assert entry.active
    row = row_of(client.get(URL).content.decode(), entry)
    assert 'aria-invalid="true"' in row
    assert "最多 500 个字符（当前 501 个）" in row
    assert f'value="{reason}"' in row
    assert 'maxlength="500"' in row
    assert 'maxlength="500"' in row_of(client.get(URL).content.decode(), entry)
