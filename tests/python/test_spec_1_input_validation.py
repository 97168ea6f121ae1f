"""SPEC.md §1 — Input validation, from Python.

The same table as tests/spec/spec_1_input_validation_test.cc
(tests/spec/cases/spec_1_input_validation.json): every case must be
accepted or rejected exactly as in C++, with the exception class of
API.md, the reason, and a message that quotes the value, names the rule and
shows a valid example.
"""

import pytest

import slipway as sw
from conftest import load_cases

CASES = load_cases("spec_1_input_validation")


def _call(case):
    fn = getattr(sw.validate, case["validator"])
    if case["validator"] == "model_version":
        return fn(case["value"], environment=case.get("environment", "development"))
    return fn(case["value"])


def _id(case):
    verdict = "accepts" if case["ok"] else "rejects"
    return f"{case['validator']}-{case['index']}-{verdict}"


def test_table_is_loaded():
    assert len(CASES) > 200


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_spec_1_input_validation(case):
    if case["ok"]:
        assert _call(case) == case["value"]
        return
    with pytest.raises(sw.ValidationError) as info:
        _call(case)
    err = info.value
    offending = case.get("offending", case["value"])
    assert isinstance(err, ValueError)  # plain `except ValueError` works too
    assert err.code == "INVALID_ARGUMENT"
    assert err.reason == case["reason"]
    assert err.value == offending
    assert err.rule and err.rule in str(err)
    assert "e.g." in str(err)
    subject = "environment" if case["reason"] == "ENVIRONMENT_UNKNOWN" else case["validator"].replace("_", " ")
    assert subject in str(err)
    if len(offending) < 150 and offending.isprintable():
        quoted = offending.replace("\\", "\\\\").replace('"', '\\"')
        assert f'"{quoted}"' in str(err)
