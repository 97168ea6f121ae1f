"""sw.validate beyond the SPEC table: policies, registries-to-come,
versions and return values."""

import pytest

import slipway as sw


def test_validators_return_their_value():
    assert sw.validate.model_name("fraud-detection") == "fraud-detection"
    assert sw.validate.dataset_path("/data/ml/train.parquet") == "/data/ml/train.parquet"


def test_model_version_default_environment_is_the_policy_s():
    sw.validate.model_version("latest")  # development by default
    prod = sw.Policy(environment="production")
    with pytest.raises(sw.ValidationError) as info:
        sw.validate.model_version("latest", policy=prod)
    assert info.value.reason == "LATEST_IN_PRODUCTION"
    assert "resolve the alias" in str(info.value)


def test_custom_environment_names():
    policy = sw.Policy(environments={"dev": "development", "live": "production"}, environment="dev")
    sw.validate.model_version("latest", environment="dev", policy=policy)
    with pytest.raises(sw.ValidationError) as info:
        sw.validate.model_version("latest", environment="live", policy=policy)
    assert info.value.reason == "LATEST_IN_PRODUCTION"
    with pytest.raises(sw.ValidationError) as info:
        sw.validate.model_version("1.0.0", environment="production", policy=policy)
    assert info.value.reason == "ENVIRONMENT_UNKNOWN"


def test_policy_prefixes_and_reserved_names():
    policy = sw.Policy(dataset_prefixes=["/mnt/features/"], reserved_feature_names=["amount"])
    sw.validate.dataset_path("/mnt/features/a.csv", policy=policy)
    with pytest.raises(sw.ValidationError) as info:
        sw.validate.dataset_path("/data/ml/a.csv", policy=policy)
    assert info.value.reason == "DATASET_PATH_NOT_APPROVED"
    assert "/mnt/features/" in str(info.value)
    sw.validate.feature_name("id", policy=policy)
    with pytest.raises(sw.ValidationError) as info:
        sw.validate.feature_name("amount", policy=policy)
    assert info.value.reason == "FEATURE_NAME_RESERVED"


def test_bad_policy_is_refused_with_the_field_named():
    with pytest.raises(sw.ValidationError) as info:
        sw.Policy(dataset_prefixes=["relative/path/"])
    assert info.value.reason == "POLICY_INVALID"
    assert "dataset_prefixes" in str(info.value)
    with pytest.raises(sw.ValidationError):
        sw.Policy(environment="qa")
    with pytest.raises(TypeError):
        sw.Policy(environments={"prod": "live"})


def test_default_policy_is_the_spec():
    p = sw.Policy()
    assert p.environment == "development"
    assert list(p.dataset_prefixes) == ["s3://ml-data/", "/data/ml/"]
    assert "id" in p.reserved_feature_names


def test_model_version_parsing_and_order():
    from slipway._slipway import ModelVersion

    versions = [ModelVersion.parse(v) for v in ["1.0.0", "1.0.0-rc.1", "0.9.0", "1.0.0-alpha", "v1.10.0"]]
    assert [v.canonical for v in sorted(versions)] == ["0.9.0", "1.0.0-alpha", "1.0.0-rc.1", "1.0.0", "1.10.0"]
    assert ModelVersion.parse("v01.2.3") == ModelVersion.parse("1.2.3")
    assert ModelVersion.parse("7").kind == ModelVersion.Kind.REVISION
    with pytest.raises(sw.ValidationError):
        ModelVersion.parse("latest", environment="production")


def test_non_string_arguments_are_type_errors():
    with pytest.raises(TypeError):
        sw.validate.model_name(42)
    with pytest.raises(TypeError):
        sw.validate.dataset_path(None)
