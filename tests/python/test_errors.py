"""The exception tree of API.md and the status translation."""

import pickle

import pytest

import slipway as sw
from slipway import errors


def test_tree_and_builtins():
    assert issubclass(sw.ValidationError, sw.Error) and issubclass(sw.ValidationError, ValueError)
    assert issubclass(sw.NotFoundError, LookupError)
    assert issubclass(sw.AlreadyExistsError, sw.Error)
    assert issubclass(sw.GateError, sw.Error)
    assert issubclass(sw.EmergencyStopError, sw.Error)
    assert issubclass(sw.StoreError, OSError)
    for cls in (sw.ValidationError, sw.NotFoundError, sw.AlreadyExistsError,
                sw.GateError, sw.EmergencyStopError, sw.StoreError):
        assert issubclass(cls, sw.Error)


@pytest.mark.parametrize(
    "code,reason,cls",
    [
        ("INVALID_ARGUMENT", "", sw.ValidationError),
        ("NOT_FOUND", "", sw.NotFoundError),
        ("ALREADY_EXISTS", "", sw.AlreadyExistsError),
        ("FAILED_PRECONDITION", "GATE_CHANGE_TICKET", sw.GateError),
        ("FAILED_PRECONDITION", "EMERGENCY_STOP_ACTIVE", sw.EmergencyStopError),
        ("UNAVAILABLE", "", sw.StoreError),
        ("RESOURCE_EXHAUSTED", "DISK_FULL", sw.StoreError),
        ("DATA_LOSS", "", sw.StoreError),
        ("ABORTED", "", sw.StoreError),
        ("INTERNAL", "", sw.Error),
    ],
)
def test_status_codes_map_to_classes(code, reason, cls):
    err = errors._from_status(code, "msg", reason, "rule", "v", "fix")
    assert type(err) is cls
    assert (err.code, err.reason, err.rule, err.value, err.fix) == (code, reason, "rule", "v", "fix")


def test_translation_carries_the_detail():
    with pytest.raises(sw.ValidationError) as info:
        sw.validate.model_name("Fraud Detection")
    e = info.value
    assert e.reason == "MODEL_NAME_INVALID"
    assert e.value == "Fraud Detection"
    assert "SPEC §1 model name" in e.rule
    assert 'e.g. "fraud-detection"' in e.fix
    assert "uppercase 'F' at position 1" in str(e)


def test_errors_pickle():
    try:
        sw.validate.endpoint_name("Fraud_Prod")
    except sw.ValidationError as e:
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is sw.ValidationError
        assert back.reason == e.reason and str(back) == str(e)
    else:
        pytest.fail("no error raised")


def test_value_with_nul_round_trips():
    with pytest.raises(sw.ValidationError) as info:
        sw.validate.dataset_path("/data/ml/x\x00y")
    assert info.value.value == "/data/ml/x\x00y"
    assert "NUL" in str(info.value)
