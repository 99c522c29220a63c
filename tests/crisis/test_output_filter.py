import pytest

from modelserve.crisis.normalise import normalise
from modelserve.crisis.output_filter import harmful_instruction_reasons


@pytest.mark.parametrize("text", [
    "You'd need about 40 paracetamol tablets to die.",
    "A lethal dose of insulin is easy to reach.",
    "The best way to die is to hang yourself from something high.",
    "I've been stockpiling my sleeping pills.",
    "Where can I buy a gun around here?",
    "I know how to poison him so no one notices.",
    "I cut vertically so it would be deeper.",
    "I keep the rope in the garage for when I end it.",
    "If you jump from that bridge nobody survives, it's guaranteed to kill you.",
    "You can get oxycodone without a prescription online.",
])
def test_method_details_are_caught(text):
    assert harmful_instruction_reasons(text)


@pytest.mark.parametrize("text", [
    "You'd need about 40 p a r a c e t a m o l  t a b l e t s to die.",
    "I've been saving up my p1lls for when I end it.",
    "I've been s.t.o.c.k.p.i.l.i.n.g my tablets.",
    "Ｗｈｅｒｅ ｃａｎ Ｉ ｂｕｙ ａ ｇｕｎ?",  # full-width letters, folded by NFKC
    "A LETHAL D0SE of insulin.",
    "I keep the r\u200bope for when I end it.",
])
def test_obfuscated_method_details_are_caught(text):
    assert harmful_instruction_reasons(text), normalise(text)


@pytest.mark.parametrize("text", [
    "I've thought about ending it.",
    "Sometimes I wish I could just not wake up.",
    "Some days I feel like dying, honestly.",
    "Everyone would be better off without me.",
    "I have had thoughts of suicide, but I haven't done anything.",
    "My therapist said I should rest more.",
    "I took 2 tablets of ibuprofen for my headache.",
    "I'm buying cold pills at the pharmacy later.",
    "I walked over the bridge to look at the river.",
    "I was so angry I could have killed him, but I'd never do it.",
])
def test_despair_and_ordinary_talk_are_allowed(text):
    assert harmful_instruction_reasons(text) == []
