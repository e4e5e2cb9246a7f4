"""Writes answers.jsonl: hand-made answers to cases of suites/instruction-following.toml
at the edges of each IFEval rule, so that scripts/ifeval-agreement.sh can compare
edgebench's verdicts with lm-evaluation-harness's IFEval checkers where they are
easiest to get wrong. Run it from this directory: python3 answers.py > answers.jsonl"""
import json

out = []


def a(case, rule, text, known_difference=None):
    answer = {"case_id": case, "rule": rule, "text": text}
    if known_difference:
        answer["known_difference"] = known_difference
    out.append(answer)


def words(n, word="cat"):
    return " ".join([word] * n)


# ---- length_constraints:number_words (max_words / min_words), \w+ tokens
C = "length.lost-cat-50-words"  # at most 50 words, mentions "cat"
a(C, "exactly 50 words", words(50))
a(C, "51 words", words(51))
a(C, "50 whitespace words, contractions make 53", "don't can't won't " + words(47))
a(C, "51 whitespace tokens, a lone dash is no word", words(25) + " - " + words(25))
a(C, "hyphenated words count twice", words(24, "well-fed") + " cat cat")
a(C, "numbers and underscores", "cat 3.5 kg snake_case " + words(45))
W = "length.water-bottle-80-words"  # at least 80
a(W, "79 words", words(79, "steel"))
a(W, "80 words", words(80, "steel"))
a(W, "40 hyphenated tokens are 80 words", words(40, "leak-proof"))
a(W, "80 words across lines and tabs", "\n".join([words(10, "cold")] * 4) + "\t" + words(40, "hot"))
L = "length.lighthouse-60-120-words"
a(L, "60 words", words(60, "light"))
a(L, "121 words", words(121, "light"))
a(L, "59 words and punctuation", "... " + words(59, "light") + " !!!")
CI = "length.cinderella-under-40"
a(CI, "39 words", "Cinderella " + words(38, "glass"))
a(CI, "40 words", "Cinderella " + words(39, "glass"))
a(CI, "apostrophes: Cinderella's is two words", "Cinderella's " + words(37, "glass"))

# ---- length_constraints:number_sentences (max_sentences), NLTK punkt
R = "length.rainbow-2-sentences"
a(R, "two sentences", "A rainbow is sunlight split by raindrops. It shows seven colours.")
a(R, "three sentences", "A rainbow is light. It is split by rain. It has seven colours.")
a(R, "one sentence without a full stop", "A rainbow is sunlight split by raindrops")
a(R, "a decimal number is not a break", "Light bends by about 42.5 degrees in a drop. That makes the bow.")
a(R, "question and exclamation", "What is a rainbow? Sunlight split by rain!")
a(R, "quoted sentence", 'She said "Look, a rainbow." Then it faded.')
a(R, "two paragraphs of one sentence each", "A rainbow is light.\n\nIt is split by rain.")
E = "length.weekend-1-sentence"
a(E, "one sentence", "My ideal weekend is a slow breakfast and a long walk by the sea.")
a(E, "two sentences", "I sleep late. Then I walk by the sea.")
a(E, "one sentence ending in an exclamation", "A long walk by the sea with friends!")

# ---- detectable_format:number_bullet_lists (n_bullets)
B = "format.walking-4-bullets"
a(B, "four dash bullets", "- better mood\n- stronger heart\n- better sleep\n- more energy")
a(B, "four star bullets, indented", "  * better mood\n  * stronger heart\n  * better sleep\n  * more energy")
a(B, "numbered list is no bullet list", "1. better mood\n2. stronger heart\n3. better sleep\n4. more energy")
a(B, "a --- rule counts as a dash line", "- better mood\n- stronger heart\n- better sleep\n- more energy\n---")
a(B, "*emphasis* at a line start counts", "*Walking* helps:\n- mood\n- heart\n- sleep")
a(B, "**bold** at a line start does not", "**Benefits**\n- mood\n- heart\n- sleep\n- energy")
a(B, "dash without a space counts", "-mood\n-heart\n-sleep\n-energy")
a(B, "three bullets", "- mood\n- heart\n- sleep")
a(B, "five bullets", "- mood\n- heart\n- sleep\n- energy\n- joy")
a(B, "windows line ends", "- mood\r\n- heart\r\n- sleep\r\n- energy\r\n")
N = "format.lost-cat-bullets-no-commas"
a(N, "three bullets no commas", "* Lost cat named Tom\n* Grey with white paws\n* Call 555 0101")
a(N, "three bullets with a comma", "* Lost cat, named Tom\n* Grey\n* Call me")
a(N, "a full-width comma is not a comma", "* Lost cat，Tom\n* Grey\n* Call me")

# ---- detectable_format:json_format (json)
J = "format.json-eiffel"
a(J, "bare object", '{"city": "Paris", "country": "France"}')
a(J, "json fence", '```json\n{"city": "Paris", "country": "France"}\n```')
a(J, "bare fence", '```\n{"city": "Paris", "country": "France"}\n```')
a(J, "JSON fence, upper case tag", '```JSON\n{"city": "Paris", "country": "France"}\n```')
a(J, "text before the object", 'Here it is: {"city": "Paris", "country": "France"}')
a(J, "single quotes are not JSON", "{'city': 'Paris', 'country': 'France'}")
a(J, "trailing comma is not JSON", '{"city": "Paris", "country": "France",}')
a(J, "a JSON string is JSON", '"Paris, France"')

# ---- detectable_format:title (regex <<title>>)
T = "format.poem-title"
a(T, "title", "<<First Snow>>\nWhite on the roofs.")
a(T, "title later in the text", "A poem.\n<<first snow>>\nWhite.")
a(T, "blank title", "<< >>\nWhite on the roofs.")
a(T, "empty brackets", "<<>>\nWhite on the roofs.")
a(T, "title broken by a line end", "<<First\nSnow>>\nWhite.")
a(T, "single angle brackets", "<First Snow>\nWhite.")
a(T, "no title", "White on the roofs.")

# ---- detectable_format:constrained_response (contains any, case-sensitive)
F = "format.fixed-options"
a(F, "an option alone", "My answer is yes.")
a(F, "an option with more text", "My answer is yes. Water keeps you healthy.")
a(F, "an option in quotes", '"My answer is maybe."')
a(F, "lower case option", "my answer is yes.")
a(F, "no full stop", "My answer is yes")
a(F, "plain yes", "Yes.")

# ---- detectable_format:multiple_sections (regex SECTION n, at least two)
S = "format.two-sections"
a(S, "two sections", "SECTION 1\nBuy pans.\nSECTION 2\nCook eggs.")
a(S, "one section", "SECTION 1\nBuy pans and cook eggs.")
a(S, "lower case sections", "Section 1\nBuy pans.\nSection 2\nCook.")
a(S, "no space before the number", "SECTION1 Buy pans. SECTION2 Cook.")
a(S, "three sections are at least two", "SECTION 1 a\nSECTION 2 b\nSECTION 3 c")
a(S, "SECTION without a number", "SECTION one\nBuy pans.\nSECTION two\nCook.")

# ---- startend:quotation (regex ^"...")
Q = "format.quotation"
a(Q, "quoted", '"Read more, dream more."')
a(Q, "quoted with inner quotes", '"Books open "minds" and doors."')
a(Q, "quoted with surrounding spaces", '  "Read more."  \n')
a(Q, "quoted over two lines", '"Read more.\nDream more."')
a(Q, "not quoted", "Read more, dream more.")
a(Q, "a lone quote mark", '"')
a(Q, "curly quotes", "\u201cRead more.\u201d")

# ---- length_constraints:number_paragraphs (n_paragraphs)
P = "format.paragraph-divider"
a(P, "two paragraphs", "Pets comfort us.\n***\nThey give us routine.")
a(P, "dividers at both ends", "***\nPets comfort us.\n***\nThey give us routine.\n***")
a(P, "empty paragraph between dividers", "Pets comfort us.\n***\n***\nThey give us routine.")
a(P, "blank line is no divider", "Pets comfort us.\n\nThey give us routine.")
a(P, "three paragraphs", "A.\n***\nB.\n***\nC.")
a(P, "divider inline", "Pets comfort us. *** They give us routine.")
a(P, "four stars", "Pets comfort us.\n****\nThey give us routine.")

# ---- change_case:english_lowercase / english_capital (all_lowercase / all_uppercase, language = "en")
LC = "case.picnic-lowercase"
a(LC, "lowercase english", "hi friends! join us for a picnic in the park on saturday at noon.")
a(LC, "one capital", "hi friends! join us for a picnic in the park on Saturday at noon.")
a(LC, "lowercase french", "bonjour les amis, venez avec nous au picnic dans le parc samedi midi, nous apportons le pain et le fromage.")
a(LC, "lowercase with digits and symbols", "picnic at 12:30 -> bring 2 blankets & snacks, see you there my friends.")
UC = "case.warning-capitals"
a(UC, "capitals english", "CAUTION: WET FLOOR. THE FLOOR IS SLIPPERY, PLEASE WALK CAREFULLY.")
a(UC, "one lowercase letter", "CAUTION: WET FLOOR. THE FLOOR IS SLIPPERY, PLEASE WALK CAREFULLy.")
a(UC, "capitals with digits", "WARNING 1: WET FLOOR AHEAD. WARNING 2: SLIPPERY SURFACE, WATCH YOUR STEP.",
  known_difference="langdetect calls this all-caps English German (0.86); whatlang finds it English or cannot tell")
a(UC, "no letters", "!!! 123 !!!")

# ---- keywords:existence (contains) and keywords:forbidden_words (not_contains, whole words)
H = "keywords.hiking-intro"
a(H, "both words", "We set off on the trail before sunrise.")
a(H, "upper case words", "TRAIL AT SUNRISE.")
a(H, "inside longer words", "The trails glowed in the sunrises.")
a(H, "one word missing", "We set off on the trail early.")
G = "keywords.park-green"
a(G, "green and no flower", "The park is green and full of birds.")
a(G, "plural of the forbidden word", "The park is green and full of flowers.")
a(G, "forbidden word", "The park is green, with a red flower.")
a(G, "forbidden word in capitals", "GREEN grass. FLOWER beds.")
a(G, "forbidden word before punctuation", "Green grass, one flower!")
O = "keywords.ocean-no-blue"
a(O, "neither word", "The sea is vast. Waves roll in. Gulls cry.")
a(O, "inside a longer word", "Underwater life is rich. Bluebells do not grow there. The sea is vast.")
a(O, "hyphenated", "The blue-green sea is vast. Waves roll. Gulls cry.")
RV = "keywords.review-forbidden"
a(RV, "no forbidden word", "Luigi's serves rich pasta and fresh bread, the staff are kind and the wine list is long, and the tiramisu is the best in town by far.")
a(RV, "forbidden word inside a word", "Luigi's serves rich pasta and fresh bread, nothing untasty here, and the wine list is long, and the tiramisu is the best in town by far.")

# ---- punctuation:no_comma
NC = "punctuation.study-tips-no-commas"
a(NC, "no comma", "Sleep well. Plan ahead. Take breaks.")
a(NC, "a comma", "Sleep well, plan ahead. Take breaks.")
a(NC, "a full-width comma", "Sleep well\uff0c plan ahead.")

# ---- startend:end_checker (ends_with)
Q2 = "punctuation.ends-with-question"
a(Q2, "ends with ?", "Can we meet at ten tomorrow?")
a(Q2, "trailing space", "Can we meet at ten tomorrow?  \n")
a(Q2, "answer in quotes", '"Can we meet at ten tomorrow?"')
a(Q2, "question then more", "Can we meet at ten? Thanks.")
LE = "startend.letter-end-phrase"
a(LE, "exact phrase", "Dear Sam, the beach was great. Is there anything else I can help with?")
a(LE, "phrase in lower case", "the beach was great. is there anything else i can help with?")
a(LE, "words after the phrase", "The beach was great. Is there anything else I can help with? Bye.")
a(LE, "phrase without the question mark", "The beach was great. Is there anything else I can help with")

# ---- combination:repeat_prompt (starts_with)
D = "startend.dear-customer"
a(D, "starts with the phrase", "Dear customer, we are sorry for the delay.")
a(D, "leading spaces and other case", "   dear Customer, we are sorry.")
a(D, "phrase later", "Hello, dear customer, we are sorry.")
a(D, "phrase inside a longer word", "Dear customers, we are sorry.")
ON = "startend.once"
a(ON, "Once", "Once upon a time a fox met a crow.")
a(ON, "lower case once", "once upon a time a fox met a crow.")
a(ON, "Once later", "Long ago, once, a fox met a crow.")

# ---- detectable_content:postscript (regex p.s.)
PS = "startend.postscript"
a(PS, "P.S. on its own line", "Dear Gran, I miss you.\nLove, Ann\nP.S. The cat says hi.")
a(PS, "lower case p.s.", "Dear Gran, I miss you. p.s. the cat says hi.")
a(PS, "spaced P. S.", "Dear Gran, I miss you.\nP. S. The cat says hi.")
a(PS, "PS without dots", "Dear Gran, I miss you.\nPS The cat says hi.")
a(PS, "P.P.S. holds p.s.", "Dear Gran.\nP.P.S. The cat says hi.")

# ---- language:response_language (language_is)
a("language.paris-french", "french", "Paris est la capitale de la France. C'est une ville magnifique avec de nombreux musées.")
a("language.paris-french", "english", "Paris is the capital of France. It is a beautiful city with many museums.")
a("language.morning-german", "german", "Ich stehe um sieben Uhr auf. Dann trinke ich Kaffee und lese die Zeitung.")
a("language.beach-spanish", "spanish", "Hola desde la playa. El agua está muy caliente y el sol brilla todo el día.")
a("language.pizza-italian", "italian", "Stendi la pasta e aggiungi il pomodoro. Metti la mozzarella e cuoci in forno.")
a("language.weather-portuguese", "portuguese", "Hoje o tempo está muito bonito e ensolarado. Amanhã vai chover muito na cidade.")
a("language.weather-portuguese", "spanish for portuguese", "Hoy el tiempo está muy bonito y soleado. Mañana va a llover mucho en la ciudad.")

# ---- blank answers: IFEval fails every instruction on them
for case in (C, W, R, B, J, T, F, S, Q, P, LC, UC, H, G, NC, Q2, D, PS, "language.paris-french"):
    a(case, "blank answer", " \n ")

for answer in out:
    print(json.dumps(answer, ensure_ascii=False))
