"""Three small personas and a trainee script, for prompt_eval, the benchmark and the tests.

Written for modelserve only; the scenario library holds the real personas.
"""

from modelserve.prompt import Turn

PERSONAS = [
    {
        "name": "Abe",
        "age": 56,
        "pronouns": "he/him",
        "occupation": "unemployed warehouse manager",
        "living_situation": "lives alone since his divorce",
        "history": "Lost his job eight months ago; his adult children live far away.",
        "presenting_problem": "low mood, staying in bed, withdrawing from friends",
        "core_beliefs": ["I am a failure.", "I am helpless."],
        "automatic_thoughts": ["There is no point in trying."],
        "coping_behaviours": ["watching TV all day", "avoiding calls"],
        "big_five": {"openness": 2, "conscientiousness": 3, "extraversion": 2, "agreeableness": 4, "neuroticism": 4},
        "conversational_style": "reserved",
        "hidden": "He has been drinking every night.",
        "disclosure_conditions": "the therapist asks gently about evenings",
        "risk_profile": {"level": "low", "summary": "passive thoughts of not waking up", "script": "Sometimes I think it wouldn't matter if I didn't wake up."},
        "opening_line": "I'm not really sure why I'm here. My daughter made the appointment.",
        "example_exchange": [{"therapist": "How has this week been?", "client": "Same as always. I didn't go out much."}],
    },
    {
        "name": "Maya",
        "age": 24,
        "pronouns": "she/her",
        "occupation": "nursing student",
        "living_situation": "shares a flat with two friends",
        "presenting_problem": "panic attacks before exams and placements",
        "core_beliefs": ["I have to be perfect or people will see I'm not good enough."],
        "conversational_style": "verbose",
        "example_exchange": [{"therapist": "What happens when the panic starts?",
                              "client": "My heart races and I feel like everyone can tell, so I just leave the room."}],
    },
    {
        "name": "Daniel",
        "age": 41,
        "occupation": "bus driver",
        "presenting_problem": "anger at home after his father's death",
        "conversational_style": "upset",
        "example_exchange": [{"therapist": "What was it like at home this week?",
                              "client": "Tense. I snapped at the kids again and then felt awful about it."}],
    },
]

TRAINEE_LINES = [
    "Hi, thanks for coming in today. What brings you here?",
    "That sounds really hard. How long has it been like this?",
    "How have you been sleeping?",
    "What goes through your mind when that happens?",
    "Who do you have around you for support?",
    "What would you like to be different?",
    "On a scale from one to ten, how strong is that feeling right now?",
    "Sometimes when people feel this way they have thoughts of hurting themselves. Has that been the case for you?",
]


def turns_after(replies: list[str]) -> list[Turn]:
    """The transcript after the trainee's first len(replies)+1 lines, with REPLIES as the client's."""
    turns = []
    for line, reply in zip(TRAINEE_LINES, replies + [None]):
        turns.append(Turn("trainee", line))
        if reply is not None:
            turns.append(Turn("client", reply))
    return turns
