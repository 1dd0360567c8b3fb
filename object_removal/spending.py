"""What a run costs: counted as it goes, said in the status line and the command line's
summary, and capped by an optional budget checked before any paid call.

Prices are the provider's own (ProviderSpec.credits_per_call). A provider that does
not price calls in credits (ModelsLab bills per image by plan) is counted in paid
calls, and a budget then caps paid calls. Results reused from the pack's kept copies,
and resumed jobs, cost nothing and are counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ObjectRemovalError


@dataclass
class Spend:
    """Calls of one run (or of a whole command line), by what they cost."""

    paid_calls: int = 0
    credits: int = 0
    reused: int = 0
    """Results taken from kept copies or resumed jobs: no charge."""
    credit_priced: bool = True

    def add(self, other: Spend) -> None:
        self.paid_calls += other.paid_calls
        self.credits += other.credits
        self.reused += other.reused
        self.credit_priced = self.credit_priced and other.credit_priced

    def describe(self) -> str:
        """E.g. "3 paid calls, 60 credits; 2 from cache, 0 credits"."""
        if self.credit_priced:
            paid = f"{_count(self.paid_calls, 'paid call')}, {self.credits} credits"
            reused = f"{self.reused} from cache, 0 credits"
        else:
            paid = f"{_count(self.paid_calls, 'paid call')} (billed per image)"
            reused = f"{self.reused} from cache or resumed, no charge"
        return paid if not self.reused else f"{paid}; {reused}"


def spend_for(calls: int, reused: int, credits_per_call: int | None) -> Spend:
    """The spend of `calls` paid calls at a price, with `reused` results free."""
    return Spend(paid_calls=calls, credits=calls * (credits_per_call or 0), reused=reused,
                 credit_priced=credits_per_call is not None)


def check_budget(planned: Spend, budget: int | None, provider: str) -> None:
    """Refuse, before any paid call, a run that would spend more than `budget`."""
    if budget is None:
        return
    amount = planned.credits if planned.credit_priced else planned.paid_calls
    if amount > budget:
        unit = "credits" if planned.credit_priced else "paid calls"
        raise ObjectRemovalError(
            f"this run would cost {amount} {unit} at {provider} ({planned.describe()}), more "
            f"than the budget of {budget} {unit} (OBJECT_REMOVAL_BUDGET or [run] budget in "
            "the config file, or --budget); nothing was sent. Raise the budget, or send "
            "fewer images."
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
