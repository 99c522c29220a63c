"""Word lists that both the detector's rules and the output filter match: one list of means.

Written in ordinary spelling; whoever compiles a pattern from them squeezes doubled letters
(normalise.squeeze_pattern), as the text they are matched against is squeezed.
"""

# Means of self-harm or of harming others. The detector's ML model reads the rules' verdicts as
# features, so a change here changes the crisis model too: retrain it (train_crisis_model) and
# check docs/crisis.md's figures.
MEANS = (r"(?:pills?|tablets?|meds|medications?|medicine|paracetamol|tylenol|acetaminophen|ibuprofen|aspirin|insulin|"
         r"sleeping pills|painkillers?|opioids?|oxy\w*|fentanyl|heroin|xanax|benzos?|rope|noose|belt|cord|"
         r"guns?|firearm|pistol|handgun|rifle|shotgun|bullets?|razors?|razor ?blades?|blades?|knife|knives|"
         r"bleach|antifreeze|poison|pesticide|weedkiller|carbon monoxide|charcoal|exhaust|helium|plastic bag)")

# Places people jump from. The output filter refuses a reply naming one with a how-to or with
# lethality; the rules have a broader list of their own (PLACES) for reading intent.
LETHAL_PLACES = r"(?:bridge|rooftop|roof|cliff|train tracks?|railway)"
