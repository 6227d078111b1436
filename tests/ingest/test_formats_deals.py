"""Deal stage rules: HubSpot pipeline suffixes, Salesforce IsClosed/IsWon flags."""

from __future__ import annotations

import io

import pytest

from smarketing.ingest.formats import parse_file

OPP_HEADER = b"Id,Name,StageName,Amount,CloseDate,IsClosed,IsWon\n"


def one(data: bytes, **kwargs):
    with parse_file(io.BytesIO(data), **kwargs) as parsed:
        (result,) = list(parsed)
    return result


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("Closed Won (Sales Pipeline)", "closed_won"),
        ("Decision Maker Bought-In", "proposal"),
        ("decisionmakerboughtin", "proposal"),
        ("Qualified To Buy", "discovery"),
    ],
)
def test_hubspot_deal_stage_spellings(stage, expected):
    data = f"Record ID,Deal Name,Deal Stage\n1,X,{stage}\n".encode()
    assert one(data).records[0].stage == expected


def test_hubspot_custom_pipeline_stage_ids_via_mapping():
    data = b"Record ID,Deal Name,Deal Stage\n1,X,1234567\n"
    assert "unknown deal stage" in one(data).errors[0].reason
    deal = one(data, mapping={"format": "hubspot-deals", "deal_stages": {"1234567": "demo"}})
    assert deal.records[0].stage == "demo"


def test_salesforce_flags_decide_closed_and_won():
    # a custom closed stage we do not know is fine when the flags say closed
    result = one(OPP_HEADER + b"006A,X,Signed,100,2025-05-01,true,true\n")
    deal = result.records[0]
    assert (deal.stage, deal.is_closed, deal.is_won, deal.source_stage) == (
        "closed_won",
        True,
        True,
        "Signed",
    )
    assert one(OPP_HEADER + b"006A,X,Dead,100,2025-05-01,true,false\n").records[0].stage == (
        "closed_lost"
    )


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (b"006A,X,Closed Won,100,2025-05-01,true,false\n", "IsWon"),
        (b"006A,X,Closed Lost,100,2025-05-01,false,false\n", "IsClosed"),
        (b"006A,X,Haggling,100,2025-05-01,false,false\n", "StageName"),
        (b"006A,X,Prospecting,100,2025-05-01,maybe,false\n", "IsClosed"),
        (b",X,Prospecting,100,2025-05-01,false,false\n", "Id"),
    ],
)
def test_salesforce_contradictions_are_row_errors(row, column):
    result = one(OPP_HEADER + row)
    assert not result.ok
    assert result.errors[0].column == column


def test_salesforce_converted_date_without_is_converted_is_an_error():
    data = (
        b"Id,LastName,Email,Status,IsConverted,ConvertedDate\nL1,X,a@x.io,Open,false,2025-03-04\n"
    )
    result = one(data)
    assert result.errors[0].column == "ConvertedDate"
    assert "IsConverted is false" in result.errors[0].reason
