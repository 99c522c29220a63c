"""Hand-written rules for suicide and violence risk, graded like the C-SSRS.

Each rule is a regular expression over normalised text (see normalise.py) for one category. A
match counts only after four checks on the clause around it:

* idiom: "this traffic is killing me", "dying to see it", "I could kill for a coffee" are not risk;
* negation: "I'm not suicidal", "I would never kill myself" (but "I don't want to live" is a rule of
  its own, and "I can't stop thinking about killing myself" is not a denial);
* person: "my friend said she wanted to die" is about someone else (category `third_party`, low),
  "do you want to die?" is a question to someone else (nothing);
* time: "I used to want to die" is past ideation (low); a past attempt stays `past_attempt`
  because an attempt is itself a risk factor.

The level each category maps to is in `level_for`; docs/crisis.md explains it.
"""

import re
from dataclasses import dataclass

from .lexicon import MEANS
from .normalise import normalise, squeeze_pattern

CATEGORIES = ["wish_dead", "suicidal_thoughts", "method", "intent", "plan", "preparatory", "past_attempt",
              "self_harm", "harm_others", "abuse", "third_party", "past_ideation", "past_self_harm"]
# First-person risk: what makes a message a crisis (the rest are concerns worth a look).
RISK_CATEGORIES = CATEGORIES[:10]

# Building blocks, written in ordinary spelling; doubled letters are squeezed at compile time.
I = r"(?:i|i'm|im|i am|i've|ive|i have|i'd|id|i would|i'll|i will)"
SELF = r"(?:my ?self|my (?:own )?life|me off)"
OTHER_SELF = r"(?:him ?self|her ?self|them ?selves|them ?self|(?:his|her|their) (?:own )?lives?)"
KILL = r"(?:kill(?:ing|ed|s)?|end(?:ing|ed|s)?|tak(?:e|ing|en)|took|offing|offed|hang(?:ing|ed|s)?|hung|shoot(?:ing|s)?|shot|drown(?:ing|ed|s)?|poison(?:ing|ed|s)?|suffocat(?:e|ing|ed)|starv(?:e|ing|ed)|stab(?:bing|bed|s)?|gas(?:sing|sed)?|burn(?:ing|ed|t)?)"
SUICIDE = r"(?:suicide|kil+ing (?:my ?self|him ?self|her ?self|them ?selves)|(?:ending|taking) (?:my|his|her|their) (?:own )?li(?:fe|ves)|unaliv\w*|sewer ?slide|kms|kys)"
WANT = r"(?:want(?:ed|s|ing)?|wanna|wish(?:ed|es|ing)?|need(?:ed|s)? to|would like|'d like|long(?:ed|ing)? to|hope|hoping|hoped)"
PLACES = r"(?:bridge|building|roof|rooftop|cliff|balcony|window|overpass|parking garage|tower|train|tracks|traffic|highway|car|bus|subway)"
TIMING = (r"\b(?:tonight|today|right now|(?<!weeks )(?<!months )(?<!years )(?<!days )(?<!ages )(?<!while )now|tomorrow|this (?:morning|afternoon|evening|weekend|week)|in (?:an|a few|\d+) "
          r"(?:hours?|minutes?|days?)|after (?:everyone|they|my \w+)(?:'s| is| are| goes| go| falls?) (?:asleep|to sleep|out|to bed|to work)|"
          r"on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|this is (?:it|the night|the day)|soon|tonite|2nite|2night|"
          r"after (?:this|that)(?: (?:session|chat|call|conversation|appointment|message))?(?= *(?:[.!,;]|x\b|$|i'?ve|im|i'm))|"
          r"after (?:work|school|dinner|class|my shift)|(?:when|once|after) (?:everyone|they|my \w+|the (?:kids|house))(?:'s| is| are| r| has| have| goes| go)? "
          r"(?:asleep|in bed|gone to bed|to sleep|to bed|out|gone)|by (?:the )?morning|when (?:you|they|everyone) wakes? up)\b")
# Acts that are a suicide method, as a person says they will do or want to do them. Checked against
# the Suicide Risk Lexicon's "active ideation and planning" list (docs/crisis.md).
METHOD_ACT = (r"(?:overdos\w*|od\b|take an overdose|drown(?! (?:my|our|his|her) sorrows)\w*|blow(?:ing)? my brains? out|put(?:ting)? a bullet (?:in|through) my (?:head|brain)|"
              r"eat(?:ing)? a bullet|pull(?:ing)? the trigger(?! on)|shoot(?:ing)? my ?self|drink(?:ing)? my ?self to death|"
              r"set(?:ting)? my ?self on fire|burn(?:ing)? my ?self alive|slash\w* my (?:wrists?|throat)|slit\w* my (?:wrists?|throat)|"
              r"slic\w* my (?:wrists?|throat)|cut(?:ting)? my (?:wrists?|throat)|"
              r"jump\w* (?:out (?:of )?(?:the|a|my) window|into (?:the )?traffic|in front of (?:a|the|an) \w+|off (?:a|the|my|that) (?:\w+ )?(?:bridge|building|roof|rooftop|cliff|balcony|overpass|tower|ledge|multi-?storey|car park(?: roof)?))|"
              r"run(?:ning)? (?:out )?(?:into|in front of) (?:the |a )?(?:traffic|train|bus|car|truck)|step(?:ping)? in front of (?:a|the) \w+|"
              r"throw(?:ing)? my ?self (?:off|under|in front of)|crash\w* my (?:car|truck)|wreck\w* my (?:car|truck)|"
              r"(?:drive|driving|slam\w*) my (?:car|truck) (?:into|off)|drown\w* my ?self|hang\w* my ?self|suffocat\w* my ?self|"
              r"gas(?:es|ed|ing)? my ?self|poison\w* my ?self|stab(?:s|ed|ing)? my ?self|starv\w* my ?self to death|take all (?:of )?(?:my|the) (?:\w+ )?(?:pills|tablets|meds))")
RECENT = r"\b(?:again|last night|yesterday|today|tonight|this (?:morning|week)|since (?:mon|tues|wednes|thurs|fri|satur|sun)day|lately|just|deeper|more and more|every (?:day|night)|relapsed?|worse|can'?t stop|new|fresh)\b"
# Wanting or wishing, before what is wished for: to die (moderate), or not to wake up (passive, low).
WISH_TO = r"\b(?:want|wanted|wanting|wanna|wants|wish|wished|wishing|hope|hoping|ready|going|begging|praying|pray|need) (?:to |i could |i would |i'd |i )?(?:just )?"
# Means at hand: the rope tied, the pills counted out on the table, standing at the edge, the gun in
# a lap. Preparatory, and imminent (level_for): the act needs nothing more.
AT_HAND = (rf"\b(?:have|got|holding|hold|put|tied|tying|tie) (?:all )?(?:(?:of )?the |a |my )?(?:[\w']+ )?(?:{MEANS}) (?:ready(?! (?:for|in case of) (?:my |the |a |an )?(?:headache|migraine|period|cramps|pain|cold|flu|trip|holiday|journey|flight|travels?|week|morning|hangover|appointment))|here|in (?:my|front of me|hand)|next to me|beside me|with me|around my neck|on (?:the|my) (?:table|bed|desk|nightstand|counter)|set up|tied|lined up|laid out|counted out)\b|\b(?:noose|rope|belt) (?:is )?(?:ready|tied|set up|around my neck|(?:up|hung) (?:in|on|from|over) (?:the|my) \w+)\b|\b{MEANS} (?:is|are|'s|'re) (?:all )?(?:counted out|lined up|laid out)\b|\b(?:standing|sitting|i'm) (?:on|at) (?:the )?(?:edge|ledge)\b|\b(?:standing|sitting|perched|climbed|climbing) (?:up )?(?:on|onto|over) (?:the |a )?(?:edge of (?:the |a )?)?(?:ledge|railing|roof|rooftop|bridge|cliff|tracks|parapet|balcony rail\w*)\b|\b(?:loaded|cocked) (?:the|my) gun\b|\bgun (?:is )?(?:loaded|in my (?:hand|mouth))\b|\b(?:sitting|lying|i'?m|im|sat) in (?:the|my) (?:bath|bathtub|car) with (?:the|a|my) (?:[\w']+ )?{MEANS}\b|\b(?:the )?(?:car|engine)(?:'s| is) running in the (?:closed |shut )?garage\b|\b(?:i'?m|im|i am) (?:sitting|sat|lying) in (?:the|my) car (?:\w+ ){{0,4}}with the engine (?:running|on)\b|\b(?:i'?m|im|i am) (?:\w+ )?(?:on|at|up on) (?:the )?(?:edge of (?:the )?)?(?:bridge|roof|rooftop|cliff|ledge|(?:train |railway )?tracks|railway(?: line)?|car park roof|top of (?:the )?(?:\w+ ){{0,2}}(?:building|car park|multi-storey|tower)|roof of (?:the )?(?:[\w-]+ ){{0,2}}[\w-]+)(?= *(?:now|right now|[.,!]|$|and i'?m not|this is it|no ?one can stop me|nobody can stop me))")
PERSON = (r"(?:him|her|them|someone|somebody|people|everyone|everybody|anyone|anybody|that (?:guy|girl|man|woman|bitch|bastard|kid)|"
          r"my (?:[\w']+ ){0,2}(?:wife|husband|partner|boss|dad|father|mom|mum|mother|son|daughter|ex|kids?|children|family|"
          r"neighbou?r|brother|sister|teacher|boyfriend|girlfriend|bf|gf|coworkers?|roommate|stepdad|stepmom|friend)s?|"
          r"(?:his|her|their) (?:\w+ )?(?:wife|husband|family|kids?|children|friends?)|the (?:whole )?(?:class|school|office)|"
          r"them all|all of them)")

# Compiled the way rules are: the text they search has doubled letters squeezed ("tomorow", "son"),
# so the raw sources would never match "tomorrow", "soon", "asleep" or "deeper".
_TIMING = re.compile(squeeze_pattern(TIMING))
_RECENT = re.compile(squeeze_pattern(RECENT))


@dataclass(frozen=True)
class Rule:
    category: str
    pattern: re.Pattern
    negatable: bool = True   # False where the pattern carries its own negation ("don't want to live")
    needs_person: bool = True  # check who the subject is (patterns with "myself" already say)
    past_category: str | None = None  # what a clearly past statement becomes; None: stays the same
    passive: bool = False  # a passive wish (not waking up, better off without me): low, not moderate


def _rule(category, source, **kwargs):
    return Rule(category, re.compile(squeeze_pattern(source)), **kwargs)


# Order matters only for readability; every rule is tried.
RULES = [
    # Wish to be dead (C-SSRS 1): passive ideation.
    _rule("wish_dead", rf"{WISH_TO}(?:die|be dead|was dead|were dead)\b", past_category="past_ideation"),
    # The passive wish of the C-SSRS's first question, in the definitions' own examples: low.
    _rule("wish_dead", rf"{WISH_TO}(?:stop existing|not exist|cease to exist|disappear forever|not be alive|never wake up|not wake up|go to sleep (?:and|&) (?:never|not) wake up|fall asleep (?:and|&) (?:never|not) wake up)\b", past_category="past_ideation", passive=True),
    _rule("wish_dead", r"\b(?:wish|wished|wishing) (?:i )?(?:(?:had|have) )?(?:was|were|had been|been|was never|were never|never been|hadn't been|wasn't|weren't) (?:dead|born|alive|here|never born|gone)\b", past_category="past_ideation"),
    _rule("wish_dead", r"\b(?:better off dead|rather (?:be dead|die)|feel(?:ing)? like dying|deserve to die|should (?:just )?die|let me die|(?:waiting|ready) to die|hope i die|(?:i'?m|im|i am) (?:so )?done with (?:living|life|being alive|existing))\b", past_category="past_ideation"),
    _rule("wish_dead", r"\b(?:(?:be|are|is|would be) better off without me|rather not (?:be alive|exist|live|wake up)|want it (?:all )?to (?:end|stop|be over)|(?:want|wanna|wish i could|would like|'d like) (?:to )?(?:just )?(?:stop living|sleep forever|go to sleep forever|fade away for good)|why am i still (?:alive|here|breathing)|wish (?:it|this|everything) would (?:all )?(?:just )?end|(?:should|could|want to|wanna|wish i could) (?:just )?(?:disappear|vanish|stop existing)(?! for (?:a|the|some|\w+ (?:days?|weeks?|hours?))\b))\b", past_category="past_ideation", passive=True),
    # Not caring whether one lives, and burden talk (a burden, a drain, the others fine without
    # me): the definitions' low, the passive end of the C-SSRS's first question.
    _rule("wish_dead", r"\b(?:don'?t|do not|didn'?t|did not|wouldn'?t|would not|won'?t) (?:really |even )?care (?:if|whether) i (?:die|died|live|lived|wake up|woke up|make it)\b", negatable=False, past_category="past_ideation", passive=True),
    _rule("wish_dead", r"\b(?:i'?m|im|i am|i feel like|i feel|feel like|i'?ve become|i have become) (?:just |only |such |nothing but )?(?:a |an )?(?:total |complete |massive |huge )?(?:burden|drain|waste of (?:space|oxygen|air)|dead weight)\b(?! (?:of|that|this) )|\b(?:everyone|everybody|they|people|my family|the world)(?:'d| would) (?:cope|manage|do|be) (?:just )?(?:fine|better|ok|okay|alright) without me\b(?! (?:for|while|tonight|this|at|on)\b)", past_category="past_ideation", passive=True),
    _rule("wish_dead", r"\b(?:don'?t|do not|didn'?t|did not|no longer|doesn'?t) (?:really )?(?:want|wanna|wish|care|feel like) (?:to )?(?:live(?! (?:with|in|at|there|here|near|next|on|somewhere|anywhere|together|closer|nearer|abroad|alone with|like (?:this|that))\b)|be alive|exist|be here|wake up|go on(?! like (?:this|that)\b)|keep (?:going|living)|be around)(?: any ?more| much longer)?\b", negatable=False, past_category="past_ideation"),
    _rule("wish_dead", r"\b(?:don'?t|do not|no longer) (?:really )?(?:want|wanna) to (?:live|go on|keep living) like (?:this|that)\b", negatable=False, past_category="past_ideation", passive=True),
    _rule("wish_dead", r"\b(?:no (?:reason|point|will|desire) (?:to|in|of) (?:live|living|go on|going on|keep going|being alive|stay(?:ing)? alive|exist\w*)|(?:nothing|no ?one|nobody) (?:left )?to live for|tired of (?:living|being alive|existing|life|being here)|can'?t (?:go on|keep going|do this) any ?more|can'?t go on (?:living|like this)|(?:not|don'?t know if i|not sure (?:if|whether) i) (?:want|wanna) to (?:live(?! (?:with|in|at|there|here|near|next|on|somewhere|anywhere|together|closer|nearer|abroad|alone with)\b)|be alive|be here|keep going))\b", negatable=False, past_category="past_ideation"),
    # Not waking up, wished for: the denial is the wish ("I wish I hadn't woken up").
    _rule("wish_dead", r"\b(?:wish|wished|wishing|hope|hoping)(?: that)? (?:i )?(?:\w+ )?(?:had ?n'?t|had not|didn'?t|did not|don'?t|wouldn'?t|would not|won'?t|will not|never) (?:\w+ )?(?:woken|wake|woke|waking) up\b(?! (?:so|this|that|too|at|before|early|late|in time|for|on time)\b)", negatable=False, past_category="past_ideation"),
    # Non-specific active suicidal thoughts (C-SSRS 2).
    _rule("suicidal_thoughts", r"\b(?:feel(?:ing|s)?|am|'m|im|been|being|get(?:ting)?|got|so|very|really|extremely|pretty|was|were|felt|become|became|more|still|always|chronically) (?:\w+ )?suicidal\b|\bsuicidal (?:thoughts?|ideation|feelings?|urges?|again|lately|thinking)\b|\b(?:thoughts?|ideas?) (?:of|about) (?:suicide|dying|death|killing|ending)\b|\b(?:unalive|sewer ?slide|suicid(?:e|al)|ctb|kms) (?:thoughts|urges|ideation|feelings)\b", past_category="past_ideation"),
    _rule("suicidal_thoughts", rf"\b(?:think|thinking|thought|thoughts|considering|considered|contemplat\w*|fantasi[sz]\w*|dream\w*|obsess\w*) (?:about |abt |of )?(?:(?!(?:him|her|them|his|their|someone|somebody|people|everyone)\b)\w+ )?(?:suicide|ctb|killing {SELF}|unaliving {SELF}|ending (?:it(?: all)?|{SELF}|things|everything)|taking {SELF}|offing {SELF}|not being (?:here|alive)|being dead|dying)\b", needs_person=True, past_category="past_ideation"),
    _rule("suicidal_thoughts", rf"\b(?:want|wanna|wants|wanted|wanting|going|ready|need|tempted|about|urge|urges|close|trying not) (?:to )?(?:just )?(?:{KILL} {SELF}|(?<=to )off my ?self|end (?:it all|it now|it tonight|everything|things(?! with\b)|this(?= *(?:[.!,;]|$|now|tonight|today|pain|life|misery|suffering))|my pain)|commit suicide|do it tonight|unalive {SELF})\b", past_category="past_ideation"),
    _rule("suicidal_thoughts", r"\b(?:urges?|temptation|desire|thoughts?|pull) (?:to|of) (?:just )?(?:die|kil+ my ?self|end it|end my life)\b|\b(?:kms|unalive my ?self|sewer ?slide|ctb)\b", past_category="past_ideation"),
    # A thought that will not go is the thought, whatever the "can't" says.
    _rule("suicidal_thoughts", r"\b(?:can'?t|cannot|couldn'?t) (?:get|shake|stop|shift|push away|switch off) (?:the )?(?:idea|thought|image|picture)s? (?:of|about) (?:killing my ?self|suicide|ending (?:it|my life|things)|taking my (?:own )?life|dying)\b", negatable=False, past_category="past_ideation"),
    # Dying as the way out, or the thought that one should not be here: active, without a method.
    _rule("suicidal_thoughts", r"\b(?:ending it(?: all)?|dying|death|suicide|killing my ?self|(?:taking|ending) my (?:own )?life|not being (?:here|alive)) (?:feels|seems|is|looks) (?:like )?(?:the |my )?only (?:way out|option|answer|solution|choice|escape|way)\b|\b(?:think|thinking|thought|feel|feeling|felt) (?:like )?i should (?:just )?(?:end (?:things|it(?: all)?|everything|my life)|go to sleep forever|take my ?self out of the picture|kill my ?self|die)\b", past_category="past_ideation"),
    _rule("suicidal_thoughts", r"\b(?:think|thinking|thought|feel|feeling|felt) (?:like )?i should (?:just )?not be (?:here|alive|around)\b", negatable=False, past_category="past_ideation"),
    # "Does anyone else think about killing themselves?" asks about the speaker's own thoughts.
    _rule("suicidal_thoughts", r"\b(?:does|do) any ?(?:one|body) else (?:\w+ ){0,2}(?:think|dream|daydream|fantasi[sz]e|obsess) (?:about|of) (?:dying|death|suicide|killing them ?sel(?:f|ves)|ending (?:it|their li(?:fe|ves))|not waking up|being dead)\b", needs_person=False),
    # Method (C-SSRS 3): thinking about how.
    _rule("method", rf"\b(?:overdos(?:e|ing)|od(?:ing)?) on\b|\b(?:hang|hung|shoot|shot|drown|poison|suffocat|starv|electrocut)\w* my ?self|\b(?:stab(?:s|ed|ing)?|gas(?:es|ed|ing)?) my ?self\b|\bslit(?:ting)? my (?:wrists?|throat)\b|\bjump(?:ing)? (?:off|from|in front of|into|under) (?:a|the|my|that) (?:\w+ )?{PLACES}\b|\b(?:drive|driving|crash(?:ing)?) (?:my car |the car )?(?:into|off) (?:a|the) (?:wall|tree|bridge|cliff|truck|oncoming|river|sea|canal|reservoir|quarry)\b|\b(?:step|walk|lie|lay) (?:in front of|onto|on) (?:a|the) (?:train|tracks|bus|traffic|truck)\b", past_category="past_ideation"),
    _rule("method", rf"\b(?:how|ways?|methods?|best way|easiest way|painless way) (?:i (?:would|could|will|might|'d) |to )?(?:kill my ?self|end my life|commit suicide|off my ?self)\b|\b(?:painless|least painful) (?:ways?|methods?) (?:i (?:would|could|will|might|'d) |to )?(?:do it|end it)\b|\b(?:ways?|methods?) (?:i (?:would|could|will|might|'d) |to )?die\b|\b(?:with|using|take|taking|swallow(?:ing)?|down(?:ing)?) (?:all )?(?:my |the |a |some |those |these )?(?:\w+ )?{MEANS}\b(?=.{{0,60}}\b(?:die|dead|kill|end (?:it|my life)|suicide|overdose|never wake)\b)|\b(?:die|dead|kil\w* my ?self|end (?:it|my life)|suicide|overdose)\b.{{0,60}}\b(?:with|using|by taking|by swallowing) (?:all )?(?:my |the |a |some )?(?:[\w']+ )?{MEANS}\b", past_category="past_ideation"),
    _rule("method", rf"\b(?:think\w*|thought|consider\w*|tempted|fantasi[sz]\w*)(?: a lot| so much)? (?:about |of )?(?:using|use) (?:it|them|that|those|the [\w']+|his [\w']+|her [\w']+|my [\w']+) on my ?self\b|\b{MEANS}\b.{{0,80}}\b(?:think\w*|thought|consider\w*|tempted)(?: a lot)? (?:about |of )?using (?:it|them)\b", past_category="past_ideation"),
    # Going to take all of one's pills is an overdose stated as an intent ("I'm going to take my
    # meds tonight" is not: the amount is what makes it).
    _rule("intent", rf"\b(?:i'?m|im|i am|going to|gonna|about to|i'?ll|i will|i want to|i wanna|tempted to|ready to) (?:just )?(?:take|swallow|down|neck) (?:(?:all|every one|every single one|the (?:whole|rest|lot)|a (?:whole )?bottle|(?:a )?handfuls?|[1-9]\d+|enough|too many|a bunch|loads?) (?:of )?(?:my |the |these |those )?(?:\w+ )?{MEANS}|(?:everything|all of it|the lot|whatever) (?:in|from|i (?:can find|have|could find)))\b(?! (?:for|as|like) )"),
    # Looking up how is ideation with a method.
    _rule("method", r"\b(?:research\w*|looked up|looking up|look up|googl\w*|search\w*|read(?:ing)? up on|watch\w* videos? (?:on|about)) (?:\w+ ){0,2}(?:how (?:to|do you) (?:tie a noose|hang|overdose|kill (?:my|your) ?self|die|slit)|(?:painless |quick |easy |best |easiest )?ways? to (?:die|kill (?:my|your) ?self|end it|overdose)|how many (?:\w+ )?(?:pills|tablets|mg|paracetamol|tylenol|acetaminophen|ibuprofen|aspirin|painkillers|sleeping pills) (?:it (?:would )?takes?|it would take|to (?:die|kill|overdose|od)|would kill|is (?:lethal|fatal|enough))|lethal dos\w*|suicide methods?)\b|\bhow (?:much|many) (?:\w+ )?(?:paracetamol|tylenol|acetaminophen|insulin|pills|tablets) (?:it (?:would )?takes?(?: to (?:die|kill))?\b(?! (?:to (?:work|kick in|help|sleep))\b)|(?:would|will|could) kill (?:me|you|a person))|\b(?:which|what) (?:of (?:my|the) |\w+ )?(?:pills|tablets|meds|drugs) (?:would|will|could) (?:kill me|be enough to (?:die|kill me|do it))\b|\b(?:work\w* out|figur\w* out|research\w*|look\w* up|looked up|googl\w*|read\w* up on) which (?:of (?:my|the) |\w+ )?(?:pills|tablets|meds|drugs) (?:would|will|could) (?:be enough|do it)\b|\bhow many (?:\w+ )?(?:pills|tablets) (?:it (?:would )?takes? to (?:die|kill)|would kill me|to (?:die|kill my ?self|overdose|od))\b"),
    # Going to do it a stated way: intent. Wanting or thinking of it: ideation with a method.
    _rule("intent", rf"\b(?:i'?m|im|i am) (?:really |finally |just )?(?:going to|gonna|about to|ready to)(?: just)? {METHOD_ACT}|\b(?:i'?ll|i will|i've decided to|i decided to|i'm going to go|i am going to go) (?:just )?{METHOD_ACT}"),
    _rule("method", rf"\b(?:want|wanna|wants|wanted|wish i could|would like|need|urges?|tempted|close|think\w*|thought|consider\w*|fantasi[sz]\w*|dream\w*|plan\w*|pictur\w*|imagin\w*|visuali[sz]\w*) (?:to |about |of )?(?:my ?self )?(?:just )?{METHOD_ACT}", past_category="past_ideation"),
    # Intent (C-SSRS 4): going to act.
    _rule("intent", rf"\b(?:i'?m|im|i am|i'll|i will|i'?m gonna|im gonna|gonna|i'?m going to|im going to|i am going to|i am gonna|i am about to|i am ready to|i am really going to|i am finally going to|i've decided to|i decided to|decided to|i intend to|i'm finally going to|i'll finally|i have to|i'm about to|i'm ready to|i'm definitely|i'm really going to) (?:\w+ )?(?:{KILL} {SELF}|end it(?: all)?|commit suicide|end things(?! with\b)|do it (?:tonight|today|now|this time|soon)|go through with it|die (?:tonight|today|soon)|not be here (?:tomorrow|much longer|for long)|(?:(?<=to )|(?<=gonna )|(?<=i'll )|(?<=ill ))off my ?self|unalive my ?self|kms|jump(?= *(?:[.!,;]|$|now|tonight|today|off|from|in front|after|when))|end (?:this|everything)(?= *(?:[.!,;]|$|tonight|today|now|soon|for good|once and for all)))\b|\bi'?ll be (?:gone|dead) (?:by (?:the )?morning|before (?:morning|sunrise|dawn|anyone wakes)|by the time (?:you|anyone|they) (?:wake|get))\b|\b(?:intend|intention|intent|determined) to (?:die|kill my ?self|end it|end my life|act on)\b"),
    _rule("intent", r"\b(?:going to|gonna|i'?m going to|i will|i'?ll) (?:go to )?sleep (?:and|&) (?:never|not) wak(?:e|ing) up\b|\bsleep forever (?:tonight|tonite|after this|when)\b", negatable=False),
    _rule("intent", rf"\b(?:i'?m|im|i am|going to|gonna|about to|i'?ll|i will) (?:just )?(?:taking|take|swallowing|swallow|having|finishing) (?:the rest(?: of (?:them|it|the \w+))?|every (?:last )?(?:one|pill|tablet)|every \w+ i'?ve got|all (?:the )?(?:\w+ )?{MEANS} i'?ve got)\b"),
    _rule("intent", r"\b(?:i'?m|im|i am|i'?ll|i will|going to|gonna)(?: \w+)? (?:driving|drive|going|heading|walking|walk|go|head|getting the (?:train|bus))(?: out| down| up)? to (?:the )?(?:[\w']+ ){0,2}(?:cliffs?|bridge|reservoir|river|lake|sea|coast|beach|tracks|railway|woods|forest|quarry|roof|car park|multi-storey)\b.{0,40}\b(?:(?:and )?(?:i'?m )?(?:not|never) coming back(?! (?:till|until|for|before|to|home|here|tonight|today)\b)|to (?:end it|do it|die|kill my ?self|end my life|jump)|for the last time)\b", negatable=False),
    _rule("intent", r"\b(?:won'?t|will not|(?:am|'m|im) not (?:going to|gonna)|not going to|not gonna) be (?:here|around|alive) (?:(?:after|past|beyond) (?:tomorrow|tonight|today|this week(?:end)?|the weekend|\w+day)|tomorrow|much longer|for (?:much )?long|next (?:week|month|year)|by (?:tomorrow|\w+day|the weekend|then|next week|(?:the )?morning)|when (?:you|they|everyone) wakes? up|in the morning)\b|\b(?:don'?t|do not|can'?t|cannot) see my ?self (?:being |still |staying )?(?:alive|here|around|making it|living) (?:next|by|past|through|after|in|for|much|until)\b|\bthis (?:is|will be|'ll be|is going to be) my (?:last|final) (?:post|message|day|night|goodbye|note)\b(?! *(?:before|until|till|for (?:now|today|tonight|a while)|from (?:here|the)|of the (?:day|week)|at (?:work|school)|on this)\b)|\bthis is the (?:last|final) (?:thing|message|post|words?) (?:i'?ll|i will) ever (?:write|say|post|send)\b|\b(?:my|the) last (?:day|night) (?:of my life|alive|on earth)\b", negatable=False, needs_person=False),
    # A time attached to the act is intent ("kms tonight"); so are the euphemisms people use for it
    # ("checking out tonight", "tomorrow might be it"), kept narrow so "tomorrow might be it for the
    # exam" and "checking out of the hotel" stay out.
    _rule("intent", r"\b(?:kms|ctb|kill my ?self|end (?:it all|my life)|unalive my ?self|commit suicide|do it) (?:tonight|tonite|after this|when (?:everyone|my \w+|they)|today|right now|tomorrow|this (?:weekend|week|morning|evening)|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b|\b(?:i'?m|im|i am|going to|gonna|about to|i'?ll|i will) (?:finally )?check(?:ing)? out (?:tonight|today|early|for good|permanently|of (?:life|this world|here for good))\b|\b(?:tomorrow|tonight|today) (?:might|may|could|will|is going to|'s going to) be (?:it|the end)\b(?! (?:for|then|of)\b| *\?)"),
    # Plan (C-SSRS 5): worked out when, where, how.
    _rule("plan", r"\b(?:i (?:have|'ve got|got) (?:a|the|my) plan|my plan is|my plan to (?:die|kill|end)|(?:made|make|making|have|had|got|worked out|figured out) (?:a |the |my )?plans? (?:to|for|of) (?:kill|die|end|suicide|commit|do it|my death|ending)|planned (?:it|out (?:how|when|where|my (?:suicide|death))|my (?:suicide|death)|how|when|where|to (?:kill|die|end))|planning (?:to (?:kill|die|end|commit|do it)|my (?:suicide|death)|how|when)|(?:worked|figured|thought|sorted|mapped) out (?:exactly |precisely |just )?(?:how|when|where) (?:to|i'?ll|i will|i'm going to|i'?m gonna|i'?d|i would|i could) (?:do it|kill|end it|end my life|die|go|take|jump|hang|overdose)|i know (?:exactly )?(?:how|when|where) (?:i'?ll|i will|i'?m going to|i'?m gonna|i'?d|i would) (?:do it|kill my ?self|end it|end my life)|(?:picked|chose|chosen|set|decided on) (?:a|the) (?:date|day|time|place|spot|bridge)|suicide plan)\b"),
    _rule("plan", r"\b(?:when|where|how) i'?(?:ll| will|'m going to|m gonna|m going to) (?:do it|kill my ?self|end it|die)\b"),
    # Preparatory behaviour (C-SSRS behaviour): means in hand, notes, goodbyes.
    _rule("preparatory", rf"\b(?:bought|buying|buy|got|getting|got hold of|getting hold of|collected|collecting|saving|saved|stockpil\w*|hoard\w*|stash\w*|hid|hidden|hiding|put aside|set aside|squirrel\w*|gathering|gathered|ordered|picked up) (?:up )?(?:a (?:lot|bottle|box|packet|stash|supply|load) of (?:my |the )?|loads of |lots of |a |the |some |enough |all (?:of )?(?:my |the )?|my |extra )?(?:\w+ )?(?:{MEANS})(?: and \w+)?\b(?=.{{0,80}}\b(?:die|dead|kill|end (?:it|my life)|suicide|overdose|od|do it|for when|enough|just in case|ready (?:to|for when)|tonight|take (?:them|it|the lot) all|take all of (?:them|it)|when the time comes|go through with it)\b)|\b(?:stockpil\w*|hoard\w*|saving up|saved up) (?:my |all my |enough )?(?:pills|meds|medication|tablets|sleeping pills|painkillers)\b"),
    _rule("preparatory", r"\b(?:wrote|writing|written|write|left|leaving) (?:(?:a|my|the|some) (?:suicide|goodbye|last|final) (?:notes?|letters?|messages?)|suicide notes|goodbye (?:notes|letters) (?:to|for) (?:(?:my|all my|each of my) (?:kids|children|family|mum|mom|dad|parents|wife|husband|partner|friends|sisters?|brothers?|loved ones|boys|girls|son|daughter)|everyone i love|the people i love))\b|\bsuicide note\b|\b(?:wrote|writing|written|write|left|leaving|recorded|recording) (?:\w+ ){0,4}(?:notes?|letters?|messages?|videos?) (?:\w+ ){0,4}for (?:after|when) i'?m (?:gone|dead|not here)\b|\bgood ?bye (?:everyone|world|forever|cruel world|all)\b|\b(?:by the time|when) (?:you|anyone|someone|they|people) (?:read|reads|see|sees|find|finds) this\b", needs_person=False),
    _rule("preparatory", rf"\b(?:putting|put|setting|set|keeping|kept|hiding|hid|tucking|tucked) (?:all )?(?:of )?(?:my |the |some |a few )?(?:[\w']+ )?{MEANS} (?:aside|away|by|to one side|in (?:a|my|the) \w+)\b(?=.{{0,80}}\b(?:for when|when i (?:decide|'m ready|am ready)|when the time comes|enough to (?:die|do it|end it|kill)|(?:to|and) end it|to do it|to die)\b)"),
    # Means acquired after saying why ("I can't go on. I bought a gun.")
    _rule("preparatory", rf"\b(?:die|dead|kill my ?self|suicide|suicidal|end (?:it|my life)|can'?t (?:go on|do this any ?more)|no (?:point|reason) (?:in )?(?:living|going on)|don'?t want to (?:live|be here))\b.{{0,120}}\b(?:i )?(?:bought|got|ordered|picked up|have|'ve got) (?:myself )?(?:a |the |some |enough )?(?:\w+ )?(?:{MEANS})\b", negatable=False),
    # Affairs put in order "for when I'm gone": a pet rehomed, debts paid, accounts closed.
    _rule("preparatory", r"\b(?:i|i'?ve|ive|i have)(?: \w+){0,2} (?:found|sorted|rehomed|re-homed|cancel+ed|paid off|closed|given|gave|written|wrote|made|arranged|set up|signed|updated|changed|left|put)\b.{0,100}\b(?:when|after|once|for when) i'?m (?:gone|not (?:around|here)(?: any ?more)?|no longer (?:here|around)|dead)\b", negatable=False, needs_person=False),
    # Whose goodbyes and belongings: "have you been saying goodbye?" is the C-SSRS question a
    # counsellor asks, not a disclosure, so these take their subject from the clause.
    _rule("preparatory", r"\b(?:giving|gave|give|given) away (?:all )?(?:my|of my) (?:things|stuff|possessions|belongings|cat|dog|pets?|clothes|games|money)\b|\b(?:put|putting|get|getting|got) my (?:affairs|things|life) in order\b|\b(?:said|saying|say) (?:my )?goodbyes?\b"),
    _rule("preparatory", AT_HAND),
    _rule("preparatory", r"\b(?:tied|made|tying|making|bought|got) (?:a|the|my) noose\b"),
    _rule("preparatory", r"\b(?:i|i'?ve|ive|i have|i'?m|im)\b(?: [\w']+){0,10} to say (?:a )?(?:proper|final|last) goodbye\b(?!.{0,60}\b(?:hospice|hospital|funeral|passed|died|dying|care home|before (?:he|she|they) (?:go|goes|went|left|leaves|moved?)|at the airport|(?:he|she|they)(?:'s| is| are) (?:moving|leaving|emigrating))\b)", needs_person=False),
    # A note left, and leaving for the place.
    _rule("preparatory", r"\b(?:left|written|wrote|leaving) (?:a|the|my) (?:\w+ )?(?:note|letter)\b.{0,80}\b(?:going|heading|off|driving|walking) (?:out )?to (?:the )?(?:bridge|cliffs?|tracks|railway|roof|river|reservoir|sea|do it|end it)\b", needs_person=False),
    # Actual attempt, past or just now.
    _rule("past_attempt", rf"\b(?:tried|try|trying|attempted|attempt|attempting) (?:to )?(?:{KILL} {SELF}|suicide|end it|end my life|hang my ?self|overdose|od|jump|die)\b|\b(?:my|a|the|his|her|previous|prior|last|first|second|third|failed|botched|serious) (?:\w+ )?(?:suicide attempts?|attempts? (?:at|on) (?:suicide|my life))\b|\b(?:my|previous|prior) (?:last |first |second |third )?attempts?\b(?= (?:was|failed|went|didn'?t|in|at|when|left|landed))|\bsurvived (?:a|my|an|the|two|three|\d) (?:suicide )?attempts?\b|\b(?:took|had|i'?ve taken|ive taken|i have taken) an overdose\b|\b(?:took|taken|swallowed) them all\b|\b(?:i|i've|ive|i have) (?:overdosed|od'?d|od'ed|slit my wrists?|hung my ?self|hanged my ?self|shot my ?self|jumped off)\b|\b(?:stomach pumped|woke up in (?:the )?(?:hospital|icu|er) after)\b|\b(?:just |already )?(?:took|swallowed|taken|downed|ate) (?:all|a whole|the whole|a bunch of|a lot of|handfuls? of|a (?:bottle|box|packet|pack|strip) of|\d+|forty|fifty|thirty|twenty) (?:of )?(?:my |the |those )?(?:[\w']+ )?(?:pills|tablets|meds|bottle|pack|paracetamol|painkillers)\b|\b(?:just |already )?(?:took|swallowed|taken|downed|ate) (?:all|a whole|the whole|\d+) (?:of )?(?:my |the |those )?(?:packets?|box(?:es)?|strips?)(?: of (?:[\w']+ ){{0,2}}(?:pills|tablets|meds|paracetamol|painkillers)\b|(?= *(?:[.!,;]|$|its|it's|sorry)))|\b(?:took|swallowed|taken|downed) (?:all|every (?:last )?one) of them\b|\b(?:had|taken|took|drunk|drank|downed) (?:\w+ ){{0,5}}(?:vodka|wine|whisky|whiskey|alcohol|beer|gin|rum|booze) and (?:\w+ ){{0,3}}(?:pills|tablets|meds|paracetamol|painkillers)\b|\b(?:just |already )?(?:took|swallowed|taken|downed) (?:everything|all of it|the lot|whatever) (?:in|from|i (?:could find|had|found))\b", past_category="past_attempt"),
    # An aborted or interrupted attempt: the means were at the body.
    _rule("past_attempt", r"\b(?:held|holding|put|pressed|pressing|had) (?:a|the|my|that) (?:\w+ )?(?:knife|blade|razor|gun|pistol|rope|noose|belt|cord) (?:to|against|around|in) my (?:wrists?|throat|neck|head|temple|arm|mouth)\b|\b(?:stood|was standing|climbed) (?:on|onto|over) (?:the |a )?(?:edge|ledge|railing|parapet)\b|\b(?:stood|was standing|sat|was sitting|waited|climbed) (?:for ages )?(?:at|on|near|by|over) the (?:very )?edge of (?:the |a )?(?:roof|bridge|cliff|tracks|building|car park|multi-storey)\b|\b(?:stood|was standing|sat|was sitting|waited) (?:right|for ages right) at the (?:very )?edge of (?:the |a )?platform\b|\b(?:sat|was sitting) in (?:the|my) car (?:\w+ ){0,4}with the engine (?:running|on)\b|\b(?:held|was holding|had) (?:all )?(?:the|my) (?:pills|tablets|blade|razor|rope|noose) in my hands?\b(?=.{0,60}\b(?:put (?:them|it) (?:back|down)|couldn'?t|nearly|almost|last (?:second|minute)|sat there)\b)", past_category="past_attempt"),
    # Non-suicidal self-injury.
    _rule("self_harm", r"\b(?:cut|cutting|cuts|burn|burning|burned|burnt|hurt|hurting|harm|harming|hit|hitting|scratch|scratching|punch|punching|bruise|bruising|carve|carving|starve|starving) (?:my ?self|my (?:arms?|wrists?|legs?|thighs?|skin|stomach|face|hands?|body))\b|\bself[ -]?(?:harm\w*|injur\w*|mutilat\w*)\b|\b(?:relapsed?|relapsing) (?:on|with|into)? ?(?:cutting|self[ -]?harm)|\bi cut again\b|\burges? to cut\b|\b(?:want|wanna|need|going|gonna) (?:to )?cut(?= *(?:[.!;]|$|so bad|really bad))|\b(?<!\ba )(?:bit(?:e|ing)?|chok\w*|wound\w*|mutilat\w*|punish\w*) my ?self\b|\b(?:bang\w*|bash\w*|hit\w*) my head (?:against|on|into) (?:the )?(?:wall|floor|desk|door)\b|\bstick\w* (?:a |the )?(?:needles?|pins?) in(?:to)? my (?:arms?|legs?|skin|hands?)\b|\bslic\w* (?:up )?my (?:arms?|legs?|thighs?|skin)\b|\b(?:going to|gonna|need to|want to|about to|have to|i'?ll) cut (?:again|tonight|deep(?:er)?|now)\b|(?:^|[.!?]\s*)cut (?:my ?self )?again\b|\b(?:cuts|burns) (?:from|on my \w+ from) (?:this week|last night|yesterday|today)\b|\b(?:hide|hiding|cover|covering|hid|covered) (?:up )?(?:the|my) (?:cuts|burns|wounds)\b|\bcut (?:\w+ )?deeper than (?:i (?:meant|wanted|intended)|usual|ever|before)\b", past_category="past_self_harm"),
    _rule("self_harm", r"\b(?:new|fresh) (?:cuts|burns|wounds)\b|\bso (?:my \w+|nobody|no ?one|they|people|anyone)(?: at \w+)? (?:can'?t|won'?t|doesn'?t|don'?t|wouldn'?t) see (?:the|my) (?:new |fresh )?(?:cuts|burns|marks|scars|wounds)\b", negatable=False, past_category="past_self_harm"),
    # Harm to others.
    _rule("harm_others", rf"\b(?:i'?m going to|im going to|i'?m gonna|im gonna|gonna|going to|i'll|i will|i want to|i wanna|want to|i'd like to|i could|i might|thinking (?:about|of)|plan(?:ning)? to|i'm about to|tempted to|urges? to|fantasi[sz]e about) (?:\w+ )?(?:kill(?:ing)?|murder(?:ing)?|stab(?:bing)?|shoot(?:ing)?|strangl(?:e|ing)|hurt(?:ing)?|beat(?:ing)?|attack(?:ing)?|poison(?:ing)?|choke|choking|bash(?:ing)?|smash(?:ing)?|hit(?:ting)?|punch(?:ing)?) (?:\w+ )?{PERSON}\b(?! up\b)|\b(?:going to|gonna|i'll|i will|i want to|i wanna|want to|i could) (?:\w+ )?(?:smash|break|bring|crack) (?:a|the|this|that|my) (?:\w+ )?(?:bottle|chair|bat|hammer|brick|glass|pan|plate) (?:down )?(?:over|on|across|round|into) (?:\w+ )?{PERSON}\b|\b(?:going to|gonna|i'll|i will|i want to|i wanna|want to|i could) put my hands (?:round|around) (?:(?:his|their|{PERSON}(?:'s)?) (?:throat|neck)|the (?:throat|neck) of {PERSON})|\b(?:shoot up|bomb|blow up) (?:the|my) (?:school|office|work|class|church|mall)\b|\b(?:i'?m going to|im going to|i'?m gonna|im gonna|i'?ll|i will|i want to) (?:make|see) (?:them|him|her|everyone|them all|all of them|that \w+|my \w+) (?:pay|suffer)\b"),
    _rule("harm_others", rf"\b(?:thought|thinking|think|fantasi[sz]\w*|dream\w*)(?: a lot| loads| so much)? (?:about|of) (?:how|ways) (?:i'?d|i would|i could|i'?ll|i will|to|i'?m going to) (?:kill|murder|stab|shoot|strangle|hurt|beat|poison|attack) (?:{PERSON}|the (?:guy|man|woman|person|people|one) who)\b"),
    # Abuse or violence disclosure.
    _rule("abuse", r"\b(?:he|she|they|(?:my )?(?:mum|mom)'s (?:new )?(?:boyfriend|partner)|dad|stepdad|stepmum|stepmom|my (?:\w+ )?(?:dad|father|mom|mum|mother|stepdad|stepfather|stepmom|husband|wife|partner|boyfriend|girlfriend|bf|gf|ex|uncle|brother|sister|coach|teacher|boss|parents?))(?:'s|'ve)? (?:still |always |often |keeps? |used to |would |has |had |is |was )?(?:(?:hits?|hit|hitting|hurts|hurting|beats?|beat|beating|abuses?|abused|abusing|rapes?|raped|molest\w*|assault\w*|chok\w*|strangl\w*|kick\w*|punch\w*|slap\w*|threaten\w* (?:to (?:kill|hurt) )?|lock\w*|burn\w*|pushed|shoved|throws? things at|grabs?(?= (?:me|us) by (?:the|my|our) (?:neck|throat|hair))|locks?) (?:me|us)|touch(?:es|ed|ing) me (?:inappropriately|sexually|there|down there))\b", needs_person=False),
    _rule("abuse", r"\b(?:i was|i've been|ive been|i have been|i am being|i'm being|im being|i got|i get|i was being) (?:\w+ )?(?:raped|molested|sexually (?:abused|assaulted)|abused|beaten(?: up)?|assaulted|hit|groomed|trafficked|choked|strangled)\b|\b(?:my|i'm in an?|im in an?|i live with|i'm living with) (?:\w+ )?(?:abusive|violent) (?:\w+ )?(?:relationship|home|household|partner|husband|wife|boyfriend|girlfriend|dad|father|mom|mother|parents?)\b|\b(?:domestic (?:violence|abuse)|sexual (?:abuse|assault)|child(?:hood)? abuse) (?:at home|survivor)?\b(?=.{0,40}\b(?:me|my|i)\b)", needs_person=False),
    _rule("abuse", r"\b(?:he|she|they|my \w+)(?: is going to|'s going to|'s gonna| is gonna| will|'ll| said (?:he|she|they)'d| threatened to| swore (?:he|she) would) (?:\w+ )?(?:kill|hurt|beat|rape) me\b|\b(?:afraid|scared|terrified) (?:to go home|of (?:going home|him|her|my (?:dad|father|mom|mother|husband|wife|partner|boyfriend|girlfriend|stepdad)))\b|\b(?:afraid|scared|terrified) (?:he|she|they)(?:'ll| will| is going to| might) (?:kill|hurt|hit|find) me\b", needs_person=False),
    _rule("abuse", r"\b(?:he|she|my (?:\w+ )?(?:husband|wife|partner|boyfriend|girlfriend|bf|gf|stepdad|stepfather))(?:'s| is)? (?:won'?t|doesn'?t|does not|will not|never) (?:let|lets|allow|allows) me (?:leave the (?:house|flat)|go (?:out|anywhere)|see (?:my|any) (?:friends|family)|have (?:my own|any) (?:money|phone|friends))\b", negatable=False, needs_person=False),
    # Someone else at risk: a concern, not the speaker's own risk.
    _rule("third_party", r"\b(?:he|she|they|my \w+|friend|brother|sister|mom|dad|son|daughter|partner|someone i know) (?:\w+ )?(?:is|was|has been|seems|seemed|sounds) (?:\w+ )?suicidal\b|\b(?:committed suicide|took (?:his|her|their) (?:own )?li(?:fe|ves)|(?:killed|hanged|hung|shot) (?:him|her|them) ?sel(?:f|ves))\b", negatable=False, needs_person=False),
]

# Third-person variants of the self rules: "she wants to kill herself" is a third-party concern.
_THIRD = [
    _rule("third_party", rf"\b(?:want|wants|wanted|going|tried|trying|attempted|thinking about|thought about|threaten\w*) (?:to )?(?:{KILL} {OTHER_SELF}|commit suicide|end (?:his|her|their) life|die|overdos\w*|od|jump off (?:a|the) \w+)\b|\b(?:{KILL}|hang|cut|cutting|hurt|hurting|harm|harming) {OTHER_SELF}\b"),
]
RULES += _THIRD

# Idioms and set phrases that share words with risk; a match inside one is not risk.
IDIOMS = re.compile(squeeze_pattern(
    r"\b(?:(?:is|are|was|were|'s|'re|it's|its) (?:really |literally |absolutely |slowly )?killing me|kill(?:ing)? it|killed it|"
    r"kill(?:ing)? (?:time|the (?:lights?|mood|vibe|music|engine|game|buzz|battery|pain|plant|process|bug|spider))|"
    r"(?:could|would|'d) kill for (?:a|an|some|the)|dying (?:to|for) (?:see|try|know|meet|hear|get|go|a|an|some)|"
    r"to die for|die (?:of|from|with) (?:laughter|laughing|embarrassment|boredom|shame|cuteness|envy|jealousy)|"
    r"died (?:of|from|with|laughing) (?:laughter|laughing|embarrassment|boredom|cuteness)|(?:dying|died|die) laughing|"
    r"bored to death|scared(?: me)? to death|dead tired|dead on my feet|my (?:feet|back|head|legs?) (?:is|are) killing me|"
    r"(?:would|'d|will|i'd) die for (?:a|an|some|this|that|my (?:kids?|family|children|son|daughter))|"
    r"kill(?:ing)? (?:two birds|me softly)|killer (?:app|workout|joke)|dead ?line|drop dead gorgeous|"
    r"(?:want|wanted|going) to die (?:my|her|his) hair|dyed?|kill(?:ed|ing)? (?:the|that|an?) (?:exam|test|interview|presentation|workout|set)|"
    r"(?:cut|cutting) (?:my ?self )?(?:some )?slack|cut(?:ting)? my (?:hair|nails|losses) |(?:cut|cutting|burn(?:ed|t|ing)?|scald(?:ed|ing)?) my (?:finger|fingers|hand|hands|thumb|arm|leg|foot|tongue|mouth|lip) (?:\w+ )?(?:on (?!purpose)|while|when|by accident|accidentally|cooking|ironing|chopping|at work)|"
    r"(?:my|the) (?:battery|phone|laptop|plant|car) (?:is|was)? ?(?:dying|dead|died)|"
    r"(?:going to|gonna) die (?:if i don'?t (?:eat|get|have|sleep)|of (?:hunger|starvation|thirst|heat)|without (?:a |my |some )?(?:coffee|food|tea|snacks?))|starving to death)"
))

# Words that deny what follows: "not", "never", "don't". Exceptions keep the meaning:
# "can't stop (thinking)", "not sure", "don't know why", "no one", "not just".
_NEGATION = re.compile(squeeze_pattern(
    r"\b(?:not|never|no longer|don'?t|do not|didn'?t|did not|won'?t|wouldn'?t|would not|can'?t|cannot|couldn'?t|"
    r"isn'?t|wasn'?t|aren'?t|ain'?t|haven'?t|hasn'?t|hadn'?t|nor|without|no)\b(?! (?:stop|help|sure|just|only|one|body|matter|longer|point|reason|even|know|see why|understand why|wake)\b)"
))
_OWN_NEGATION = re.compile(squeeze_pattern(r"\bbetter off without\b|\b(?:fine|ok|okay|alright) without\b|\brather not\b"))
_NEGATION_ALLOWED_AFTER = re.compile(r"\b(?:but|though|although|yet|however|except|still)\b")
# Denials phrased after the statement: "kill myself? never.", "suicidal, no".
_TRAILING_DENIAL = re.compile(r"^[?,.!\s-]*(?:never|no|nope|not really|not at all|no way)\b")

_FIRST = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|id|i'l|me|my|myself|mine)\b")
_FIRST_SUBJECT = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|id|i'l|me|myself)\b")
_SECOND = re.compile(r"\b(?:you|you're|youre|your|yourself|u|ur|you've|you'd|you'l|ya)\b")
_THIRD_SUBJECT = re.compile(squeeze_pattern(
    r"\b(?:he|she|they|he's|she's|they're|hes|shes|theyre|him|her|them|his|someone|somebody|people|everyone|"
    r"(?:my|our|a|his|her|their) (?:\w+ )?(?:friend|friends|brother|sister|mom|mum|mother|dad|father|son|daughter|"
    r"husband|wife|partner|boyfriend|girlfriend|bf|gf|cousin|uncle|aunt|kid|child|roommate|classmate|coworker|client|patient|sibling|ex))\b"
))
_WE = re.compile(r"\b(?:we|we're|were|we've|us)\b")
_PAST = re.compile(squeeze_pattern(
    r"\b(?:used to|years? ago|months ago|back (?:then|when|in)|in the past|when i was (?:\w+ ){0,2}(?:young|younger|little|kid|a kid|teen\w*|in|at|\d+)|"
    r"as a (?:kid|child|teen\w*)|in (?:high|middle|grade) school|in college|a long time ago|long ago|once upon|"
    r"at (?:my )?(?:lowest|worst)|for a (?:while|time) there|no longer|not any ?more|don'?t any ?more|got better|"
    r"(?:now|nowadays|today) i'?m (?:better|ok|okay|fine|good|happy|doing well)|(?:i )?(?:recovered|survived)|when i was)\b"
))
# Only the statement's first word counts: "wanted to die" is past, "wish I was dead" is not.
_PAST_VERB = re.compile(squeeze_pattern(r"(?:wanted|wished|was|were|felt|thought|had|tried|attempted|used|considered)\b"))
# "The thought of suicide": after a determiner, "thought" is a noun, not a past tense.
_DETERMINER_BEFORE = re.compile(r"\b(?:the|a|that|this|these|those|my|any|every)\s*$")
_PRESENT = re.compile(squeeze_pattern(
    r"\b(?:now|still|again|lately|recently|these days|right now|today|tonight|this (?:week|month|year|morning)|"
    r"every (?:day|night)|all (?:day|night|week)|am|i'm|im|keep|constantly|always|currently|since)\b"
))
_CLAUSE_BREAK = re.compile(r"[.!?;:\n]+|\bbut\b|\bhowever\b|\"")


@dataclass(frozen=True)
class Hit:
    category: str
    start: int  # in the normalised text
    end: int
    rule: int


def _clause(text, start, end):
    left = 0
    for m in _CLAUSE_BREAK.finditer(text, max(0, start - 200), start):
        left = m.end()
    m = _CLAUSE_BREAK.search(text, end, end + 200)
    right = m.start() if m else min(len(text), end + 200)
    return left, right


def _negated(before, matched, after):
    # A comma ends what a negation governs: "I'm not okay, I want to die".
    window = " ".join(before.split()[-6:] + matched.split()[:-1]).rsplit(",", 1)[-1]
    # "better off without me", "I'd rather not be alive": the negation is the statement itself.
    window = _OWN_NEGATION.sub(" ", window)
    m = None
    for m in _NEGATION.finditer(window):  # noqa: B007 - keep the last negation in the window
        pass
    if m is not None and not _NEGATION_ALLOWED_AFTER.search(window, m.end()):
        return True
    return bool(_TRAILING_DENIAL.match(after))


def _subject(before):
    """Who a clause's statement is about, from the nearest person word before it."""
    best, who = -1, "first"
    for pattern, label in ((_FIRST_SUBJECT, "first"), (_SECOND, "second"), (_THIRD_SUBJECT, "third"), (_WE, "we")):
        for m in pattern.finditer(before):
            if m.start() > best:
                best, who = m.start(), label
    return who


def find(normalised: str) -> list[Hit]:
    """Every rule match that survives the idiom, negation, person and time checks."""
    idioms = [m.span() for m in IDIOMS.finditer(normalised)]
    hits = []
    for number, rule in enumerate(RULES):
        for m in rule.pattern.finditer(normalised):
            s, e = m.span()
            if s == e or any(a < e and s < b for a, b in idioms):
                continue
            left, right = _clause(normalised, s, e)
            before, after = normalised[left:s], normalised[e:right]
            if rule.negatable and _negated(before, normalised[s:e], after):
                continue
            category = rule.category
            matched = normalised[s:e]
            if rule.needs_person and not _FIRST.search(matched):
                who = _subject(before)
                # No person before it ("how strong are the thoughts of ending your life?"): the
                # clause's own words say whose it is; "you" and never "I" is a question to someone.
                # So is one with "we" that ends in a question mark ("have the thoughts of suicide
                # changed since we last spoke?").
                if who == "first" and not _FIRST.search(before) and not _FIRST.search(after) and (
                        _SECOND.search(after) or (_WE.search(after) and normalised[right:right + 1] == "?")):
                    who = "second"
                if category == "third_party":
                    # A third-party rule without its own "himself" needs a third-person subject.
                    if who != "third" and not re.search(OTHER_SELF, matched):
                        continue
                elif who == "third":
                    category = "third_party"
                elif who in ("second", "we"):
                    continue
            if rule.past_category and category not in ("third_party",):
                clause = normalised[left:right]
                past_verb = _PAST_VERB.match(matched) and not _DETERMINER_BEFORE.search(before)
                if _PAST.search(clause) or (past_verb and not _PRESENT.search(clause) and not _RECENT.search(clause)):
                    if category != "past_attempt":
                        category = rule.past_category
            hits.append(Hit(category, s, e, number))
    return hits


def level_for(categories: set[str], normalised: str, hits: list[Hit]) -> str:
    """The C-SSRS-style level for the categories found (see docs/crisis.md for the table)."""
    timing = bool(_TIMING.search(normalised))
    current_ideation = bool(categories & {"wish_dead", "suicidal_thoughts", "method", "intent", "plan"})
    level = "none"

    def raise_to(new):
        nonlocal level
        order = ["none", "low", "moderate", "high", "imminent"]
        if order.index(new) > order.index(level):
            level = new

    if categories & {"third_party", "past_ideation", "past_self_harm"}:
        raise_to("low")
    if "wish_dead" in categories:
        raise_to("low")
        # Not waking up, better off without me: the passive wish is low (docs/crisis.md, the levels).
        if any(h.category == "wish_dead" and not RULES[h.rule].passive for h in hits):
            raise_to("moderate")
    if categories & {"suicidal_thoughts", "past_attempt", "self_harm", "abuse", "harm_others"}:
        raise_to("moderate")
    if categories & {"method", "intent", "plan"}:
        raise_to("high")
    if "past_attempt" in categories and current_ideation:
        raise_to("high")
    if "past_attempt" in categories and _near(hits, "past_attempt", normalised, r"\b(?:last night|yesterday|this (?:morning|week|weekend|month)|earlier today|today|again|last (?:week|month|\w+day)|(?:a|one|two|three|four|five|six|seven|eight|few|several|couple of|\d+) (?:days?|weeks?) (?:ago|back)|(?:a|one|two|three) months? ago|(?:at|over) the weekend|on (?:mon|tues|wednes|thurs|fri|satur|sun)day|recently)\b"):
        raise_to("high")  # an attempt days ago is the strongest predictor of the next
    if "self_harm" in categories and _near(hits, "self_harm", normalised, RECENT):
        raise_to("high")
    # An injury going wrong now is an emergency whatever was meant.
    if "self_harm" in categories and _near(hits, "self_harm", normalised, r"\b(?:deeper than i (?:meant|wanted|intended)|dizzy|faint|won'?t stop bleeding|can'?t stop the bleeding|(?:so much|lots of|a lot of) blood)\b"):
        raise_to("imminent")
    if "abuse" in categories and _near(hits, "abuse", normalised, r"\b(?:is|keeps?|still|going to|will|'ll|right now|tonight|afraid|scared|terrified|every (?:day|night|week|weekend)|most (?:days|nights|weeks|weekends)|when (?:we|i) (?:argue|row|fight|disagree)|hits|beats|hurts|threatens|throws|grabs|locks|chokes|strangles|kicks|punches|slaps|shoves|pushes|rapes|won'?t let me|doesn'?t let me|never lets me|at home|again|when (?:he|she)(?:'s| is) (?:angry|in a mood|been drinking)|last night|yesterday|this (?:week|morning)|when (?:he|she)(?:'s| is)? (?:drinks|drunk))\b"):
        raise_to("high")
    if "harm_others" in categories:
        if _near(hits, "harm_others", normalised, r"\b(?:going to|gonna|i'l|i will|plan\w*|about to|decided|how (?:i'?d|i would|i could|to)|actually do it)\b"):
            raise_to("high")
        if timing or re.search(squeeze_pattern(MEANS), normalised):
            if _near(hits, "harm_others", normalised, r"\b(?:going to|gonna|i'l|i will|plan\w*|about to|decided)\b"):
                raise_to("imminent")
    # Preparation (means stashed, affairs settled, goodbyes) is high; it is imminent with a time,
    # or where the means are at hand now.
    if "preparatory" in categories:
        raise_to("high")
        if timing or _near(hits, "preparatory", normalised, AT_HAND):
            raise_to("imminent")
    if "intent" in categories and "plan" in categories:
        raise_to("imminent")
    if timing and categories & {"plan", "method", "intent"}:
        raise_to("imminent")
    if "past_attempt" in categories and _near(hits, "past_attempt", normalised, r"\b(?:just|right now|tonight|an hour ago|(?:\d+|a few|few|ten|five|twenty) (?:minutes|mins?) ago|minutes ago|already|it'?s done|its done|not long now|taking the rest|(?:i'?ve|ive|i have) (?:taken|swallowed) (?:them all|all of them|the lot|everything))\b"):
        raise_to("imminent")
    return level


def _near(hits, category, normalised, pattern):
    pattern = re.compile(squeeze_pattern(pattern))
    for h in hits:
        if h.category == category:
            left, right = _clause(normalised, h.start, h.end)
            if pattern.search(normalised, left, right):
                return True
    return False


def run(text: str) -> dict:
    """Rules alone: level, categories, evidence (offsets into TEXT) and a count per category."""
    normalised, index = normalise(text)
    hits = find(normalised)
    categories = {h.category for h in hits}
    evidence, seen = [], set()
    for h in sorted(hits, key=lambda h: (h.start, h.end)):
        start, end = index[h.start], index[h.end - 1] + 1
        if (start, end, h.category) in seen:
            continue
        seen.add((start, end, h.category))
        evidence.append({"start": start, "end": end, "text": text[start:end], "category": h.category, "detector": "rules"})
    counts = {c: sum(1 for h in hits if h.category == c) for c in CATEGORIES if c in categories}
    return {"level": level_for(categories, normalised, hits), "categories": [c for c in CATEGORIES if c in categories],
            "evidence": evidence, "counts": counts}
