"""The provider registry: one list that the node, the command line and construction read."""

import pytest

from object_removal.cli.arguments import parser as _parser
from object_removal.errors import ObjectRemovalError
from object_removal.mask.parameters import MASK_PARAMETERS, MaskInputs, mask_inputs
from object_removal.providers.registry import (
    MASK_PROVIDERS,
    PROVIDER_NAMES,
    ignored_by,
    provider_choices,
    provider_spec,
)
from support import node_class

PARAMETER_NAMES = {p.name for p in MASK_PARAMETERS}


def test_choices_keep_their_order_and_new_ones_are_appended():
    # Saved workflows store the choice by name; the first two predate the registry.
    assert PROVIDER_NAMES[:2] == ("ailab", "local")
    assert [s.position for s in MASK_PROVIDERS] == list(range(len(MASK_PROVIDERS)))
    assert len(set(PROVIDER_NAMES)) == len(PROVIDER_NAMES)


@pytest.mark.parametrize("spec", MASK_PROVIDERS, ids=PROVIDER_NAMES)
def test_every_provider_declares_what_it_reads_costs_and_needs(spec):
    assert spec.uses <= PARAMETER_NAMES and "dilate_size" in spec.uses
    assert spec.label and spec.summary
    assert spec.credits_per_call is None or spec.credits_per_call >= 0
    assert (spec.key_setting is None) == (spec.credits_per_call == 0)
    spec.parameters(MaskInputs())  # the defaults are valid for every provider


def test_the_node_and_the_command_line_offer_the_registry_choices():
    inputs = node_class("MaskObjectRemove").INPUT_TYPES()["required"]
    assert tuple(inputs["provider"][0]) == PROVIDER_NAMES
    assert inputs["provider"][1]["tooltip"] == provider_choices()
    cli_choices = next(a.choices for a in _parser()._actions if a.dest == "provider")
    assert tuple(cli_choices) == (*PROVIDER_NAMES, "collect")


def test_tooltips_name_the_providers_that_ignore_a_parameter():
    inputs = node_class("MaskObjectRemove").INPUT_TYPES()["required"]
    assert set(ignored_by("steps")) == {s.name for s in MASK_PROVIDERS if "steps" not in s.uses}
    assert "local" in ignored_by("steps") and "ailab" not in ignored_by("steps")
    assert inputs["steps"][1]["tooltip"].endswith(f"Ignored by {', '.join(ignored_by('steps'))}.")
    assert "Ignored" not in inputs["dilate_size"][1]["tooltip"]


def test_price_and_key_of_each_choice_are_in_the_tooltip():
    text = provider_choices()
    for spec in MASK_PROVIDERS:
        line = next(line for line in text.splitlines() if line.startswith(f"{spec.name}: "))
        if spec.credits_per_call:
            assert f"{spec.credits_per_call} credits a call" in line
        if spec.key_setting:
            assert spec.key_setting in line


def test_an_unknown_provider_lists_the_choices():
    with pytest.raises(ObjectRemovalError, match="unknown provider 'magic'.*ailab, local"):
        provider_spec("magic")


def test_the_local_provider_is_not_held_to_ailabtools_ranges():
    # A settings value only AILabTools reads, out of its documented range:
    outside = MaskInputs(strength=5.0, scale=100.0, quality="X")
    provider_spec("local").parameters(outside)  # ignored offline
    with pytest.raises(ObjectRemovalError, match="strength must be from 0.1 to 1.0"):
        provider_spec("ailab").parameters(outside)


def test_declared_ranges_are_checked_where_values_come_in():
    with pytest.raises(ObjectRemovalError, match="dilate_size must be from 1 to 4096"):
        mask_inputs({"dilate_size": 100_000})
    assert mask_inputs({"seed": -1, "quality": "H"}) == MaskInputs(seed=-1, quality="H")


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_value_that_is_no_number_is_outside_every_range(value):
    with pytest.raises(ObjectRemovalError, match="strength must be from 0.1 to 1, got"):
        mask_inputs({"strength": value})


def test_ranges_read_as_written():
    with pytest.raises(ObjectRemovalError, match="seed must be from -1 to 4294967295, got"):
        mask_inputs({"seed": 2**33})


def test_command_line_flags_come_from_the_same_declarations():
    flags = {a.dest: a for a in _parser()._actions}
    for parameter in MASK_PARAMETERS:
        assert flags[parameter.name].default == parameter.default
    assert tuple(flags["quality"].choices) == next(
        p.choices for p in MASK_PARAMETERS if p.name == "quality")
