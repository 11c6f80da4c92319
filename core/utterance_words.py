"""The words and patterns :mod:`memspan.utterances` uses to tell a statement from a question,
a request, a greeting, thanks or an acknowledgement, in en, de, es, fr, ja, zh and ko.

Kept apart from the rules so a language can be added or corrected here without touching them.
Every list errs towards keeping text: a word is here only when it almost never starts (or makes
up) a statement worth remembering, because a dropped fact is lost while a kept question is only
noise.
"""

from __future__ import annotations

import re


def _split(text: str) -> list[str]:
    """Word lists are written as one string per language, which reads (and diffs) best."""
    return text.split()


# -- whole utterances that are only social (greetings, thanks, acknowledgements, fillers) ----------

#: words that, all together and nothing else, make a sentence small talk ("Thanks, ok!", "Got it")
SMALL_TALK_WORDS = frozenset(
    _split(
        # en
        "hi hello hey hiya howdy greetings yo thanks thank thx ty cheers you your ok okay k kk sure great cool"
        " nice yes no yeah yep yup nope nah bye goodbye cya good morning afternoon evening night awesome"
        " lol haha hehe wow right got it alright see later welcome please noted understood perfect sounds"
        " fine absolutely certainly of course indeed glad appreciate appreciated np problem worries sorry"
        " oh ah hmm um uh well true exactly agreed excellent wonderful amazing fantastic lovely brilliant"
        " gotcha roger will do done there all everyone much so very a lot many that this is makes sense"
        " helpful help helps pleasure my again take care have day weekend talk soon i me m s ll ve re d"
        " remember keep mind in note anytime happy to hear sweet neat makes totally definitely also and"
        " btw anyway for the"
        # de
        " hallo moin servus guten tag morgen abend gute nacht danke dankeschön vielen dank schön super"
        " toll prima klasse alles klar gut ja nein jo genau stimmt verstanden notiert gern gerne"
        " geschehen bitte bitteschön tschüss ciao bis später bald dann perfekt natürlich sicher klingt"
        " das ist sehr freut mich es ich werde merke mir hab habe kein problem entschuldigung aha achso"
        " na also wunderbar herzlichen lieben grüße gruß einverstanden okidoki"
        # es
        " hola buenas buenos días tardes noches gracias muchas muchísimas mil de nada vale okey sí si"
        " claro perfecto genial bien muy bueno buena entendido anotado apuntado hecho listo estupendo"
        " excelente adiós chao hasta luego pronto por favor un placer encantado encantada lo tendré en"
        " cuenta me alegro qué acuerdo exacto cierto guay jaja jeje vaya"
        # fr
        " bonjour salut coucou bonsoir bonne journée soirée merci beaucoup très d accord oui ouais"
        " parfait génial top entendu noté compris reçu c est rien je vous prie t avec plaisir au revoir"
        " à plus tard bientôt demain ça marche va sûr exactement merveilleux bon voilà tout fait"
        " pas problème désolé désolée"
    )
)

#: whole phrases in scripts written without spaces (and Korean, joined): "ありがとうございます"
SMALL_TALK_PHRASES = tuple(
    sorted(
        _split(
            # ja
            "ありがとうございます ありがとうございました ありがとう どうもありがとう どうも こんにちは"
            " こんばんは おはようございます おはよう はい いいえ うん ええ 了解です 了解しました 了解"
            " わかりました 分かりました わかった 分かった 承知しました 承知いたしました かしこまりました"
            " なるほど そうですね そうなんだ そうなんですね いいね いいですね よろしくお願いします"
            " よろしく さようなら じゃあね またね おやすみなさい おやすみ すごい 最高 オッケー"
            " どういたしまして 助かります 助かりました 覚えておきます 覚えました メモしました"
            " お疲れ様です 素晴らしい 完璧です 大丈夫です ねえ あの 素敵ですね 素敵 楽しみですね いいですよ"
            # zh
            " 你好 您好 嗨 哈喽 早上好 早安 晚上好 晚安 谢谢你 谢谢 謝謝 多谢 感谢 非常感谢 好的 好吧"
            " 好 行 嗯嗯 嗯 对 是的 没问题 不客气 明白了 明白 知道了 收到 了解 我记住了 记住了"
            " 我会记住的 好主意 太好了 真棒 再见 拜拜 回头见 哈哈 哦 噢 啊 谢啦 不用谢 可以 太棒了"
            # ko
            " 안녕하세요 안녕 감사합니다 감사해요 고마워요 고맙습니다 고마워 네 예 응 아니요 아뇨 좋아요"
            " 좋아 좋네요 알겠습니다 알겠어요 알았어요 알았어 알겠어 그렇군요 그래요 맞아요 확인했습니다"
            " 기억할게요 기억하겠습니다 메모했습니다 천만에요 별말씀을요 잘자요 안녕히계세요"
            " 안녕히가세요 또봐요 수고하세요 대박 최고 완벽해요 멋져요 오케이 와 오 정말 진짜"
        ),
        key=len,
        reverse=True,
    )
)

#: a clause starting with one of these thanks someone ("Thanks for the recipe", "谢谢你的建议")
THANKS_START = re.compile(
    r"^(?:thanks(?!\s+to\b)|thank\s+you|thx|many\s+thanks|danke|vielen\s+dank|gracias|muchas\s+gracias|merci"
    r"|谢谢|謝謝|感谢|多谢|ありがとう|どうもありがとう|감사|고마)",
    re.IGNORECASE,
)
#: ... or ending with one ("추천 감사합니다", "いつもありがとう")
THANKS_END = re.compile(
    r"(?:감사합니다|감사해요|고마워요|고맙습니다|ありがとう(?:ございます)?|谢谢(?:你|您)?)$"
)

#: a clause starting with a greeting, and short: "Hey Maya", "Hi there", "Good morning, Tom"
GREETING_START = re.compile(
    r"^(?:hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening)|hallo|guten\s+(?:morgen|tag|abend)"
    r"|moin|servus|hola|buenos\s+días|buenas(?:\s+tardes|\s+noches)?|bonjour|salut|bonsoir|coucou)\b",
    re.IGNORECASE,
)

#: what an assistant says to acknowledge or close a turn, not what it learned
ACK_PATTERNS = re.compile(
    r"^(?:(?:i'll|i\s+will|i\s+shall)\s+(?:keep|bear)\s+(?:that|this|it)\s+in\s+mind"
    r"|(?:i'll|i\s+will)\s+(?:remember|note)\s+(?:that|this|it)$"
    r"|(?:i've|i\s+have)\s+(?:noted|saved|stored|made\s+a\s+note\s+of)\s+(?:that|this|it)"
    r"|(?:you're|you\s+are)\s+(?:welcome|very\s+welcome)|happy\s+to\s+help|glad\s+(?:i\s+could|to)\s+help"
    r"|let\s+me\s+know\s+if|feel\s+free\s+to|hope\s+(?:this|that)\s+helps|good\s+(?:question|choice)"
    r"|great\s+(?:question|choice|idea)|sounds\s+(?:good|great|like\s+a\s+plan)|no\s+problem"
    r"|have\s+a\s+(?:great|nice|good|wonderful|lovely|safe|fun)\b|enjoy\s+(?:your|the)\b|good\s+luck"
    r"|safe\s+travels|bon\s+app[ée]tit|take\s+care|(?:just\s+)?(?:one|a)\s+moment\b"
    r"|will\s+do\b|on\s+it\b|mach(?:e)?\s+ich\b|wird\s+gemacht|lo\s+hago|je\s+m'en\s+occupe"
    r"|how\s+(?:nice|lovely|great|wonderful|exciting|cool|fun|sweet|kind|awesome)\b"
    r"|what\s+a\s+(?:great|nice|lovely|wonderful|good|fun)\b|wie\s+(?:schön|toll|nett)\b"
    r"|qu[ée]\s+(?:bien|bonito|guay|bueno)\b|comme\s+c'est\s+(?:bien|beau|gentil)\b|quelle\s+bonne\b"
    r"|let\s+me\s+(?:check|see|look|think|find|search)\b"
    r"|gern\s+geschehen|kein\s+problem|viel\s+spaß|guten\s+appetit"
    r"|de\s+nada|con\s+gusto|buen\s+provecho|que\s+(?:lo\s+)?disfrutes"
    r"|de\s+rien|avec\s+plaisir|je\s+vous\s+en\s+prie|bonne\s+(?:journée|soirée|chance)"
    r"|je\s+m'en\s+(?:souviendrai|rappellerai)|je\s+(?:le\s+)?note\b|je\s+retiens\b|c'est\s+noté)",
    re.IGNORECASE,
)

#: saying one has a question or wants help, which is not itself a fact ("I have a quick question")
META_REQUEST = re.compile(
    r"^(?:(?:so\s+|ok\s+|okay\s+)?i\s+(?:have|had|got)\s+a\s+(?:quick\s+|small\s+)?question"
    r"|quick\s+question|i\s+was\s+wondering|i\s+wonder\b|i'?d\s+like\s+to\s+(?:know|ask)"
    r"|i\s+would\s+like\s+to\s+(?:know|ask)|i\s+want\s+to\s+(?:know|ask)|can\s+i\s+ask"
    r"|i\s+need\s+(?:some\s+)?(?:help|advice|ideas|suggestions)\b"
    r"|ich\s+(?:habe|hätte)\s+(?:da\s+)?eine\s+frage|ich\s+frage\s+mich|ich\s+(?:möchte|würde\s+gern)\s+wissen"
    r"|tengo\s+una\s+pregunta|me\s+pregunto|quisiera\s+saber|quiero\s+saber|necesito\s+ayuda"
    r"|j'ai\s+une\s+question|je\s+me\s+demande|je\s+(?:voudrais|veux|aimerais)\s+savoir"
    r"|我想知道|我想问|我有(?:一)?个问题|請問|请问|質問があります|質問です|궁금해요|궁금합니다|질문이\s*있어요)",
    re.IGNORECASE,
)

# -- "remember that …": a request whose content is the fact ------------------------------------

#: a lead asking to remember what follows; the fact is the rest ("Remember that I'm vegan")
REMEMBER_LEAD = re.compile(
    r"^(?:(?:please|pls|and|also|oh|just|ok|okay|so)[\s,]+)*"
    r"(?:(?:please\s+)?(?:remember|keep\s+in\s+mind|bear\s+in\s+mind|don't\s+forget|do\s+not\s+forget"
    r"|never\s+forget)(?:\s+that\b|\s*[:,]|\s+(?=(?:i|i'm|i've|my|we|we're|our)\b))"
    r"|(?:please\s+)?(?:note|make\s+a\s+note)(?:\s+that\b|\s*:)"
    r"|(?:fyi|for\s+your\s+information|for\s+the\s+record|just\s+so\s+you\s+know)(?:\s*[:,]|\s+(?=\w))"
    r"|(?:bitte\s+)?(?:merk\s+dir|merke\s+dir|denk\s+daran|denke\s+daran|vergiss\s+nicht|notier\s+dir)"
    r"(?:\s*,?\s*dass\b|\s*:)"
    r"|(?:por\s+favor\s*,?\s*)?(?:recuerda|ten\s+en\s+cuenta|no\s+olvides|apunta|anota)(?:\s+que\b|\s*:)"
    r"|(?:s'il\s+te\s+pla[iî]t\s*,?\s*)?(?:souviens-toi|rappelle-toi|n'oublie\s+pas|retiens|note|sache)"
    r"(?:\s+que\b|\s+qu'|\s*:)"
    r"|(?:请|請)?(?:记住|記住|记得|記得|别忘了|不要忘记|要记住|帮我记住)[:：,，]?)\s*",
    re.IGNORECASE,
)
#: the same, at the end in Japanese and Korean ("…ということを覚えておいてください")
REMEMBER_TAIL = re.compile(
    r"(?:ということ|ってこと|という事|こと|の)?を?(?:覚え|おぼえ)て(?:おいて|て)?(?:ください|下さい|ね|くれ|ほしい)?"
    r"[。！!.]*$"
    r"|(?:는|란)?\s*(?:걸|것을|거|점을?)?\s*(?:꼭\s*)?(?:기억해\s*(?:줘|주세요|줘요|둬|두세요|놔)"
    r"|잊지\s*마(?:세요)?)[요.!]*$"
)

# -- questions -----------------------------------------------------------------------------------

_EN_AUX = r"(?:is|are|was|were|do|does|did|can|could|should|would|will|shall|may|might|must)"
#: how a question starts when its writer left out the question mark ("what should I cook tonight")
QUESTION_START = re.compile(
    r"^(?:"
    rf"(?:what|how|why|when|where|who|whom|whose|which)(?:'s|'re|\s+{_EN_AUX}\b|\s+about\b|\s+else\b"
    r"|\s+kind\b|\s+time\b|\s+much\b|\s+many\b|\s+long\b|\s+often\b|\s+far\b|\s+old\b)"
    r"|(?:do|does|can|could|should|would|will|is|are|am)\s+(?:i|you|we|they|he|she|it|there|u|my|your"
    r"|the|this|that|these|those|anyone|someone)\b"
    r"|(?:did|have|has|had|was|were|shall|may|might)\s+(?:i|you|we|they|he|she|it|there|u)\b"
    r"|any\s+(?:ideas|suggestions|tips|recommendations)\b"
    # de
    r"|(?:was|wie|wo|wann|warum|wieso|weshalb|wer|wen|wem|welche[rsnm]?|woher|wohin)\s+"
    r"(?:soll|sollte|sollten|kann|könnte|könnten|muss|ist|sind|bin|hast|hat|habe|haben|gibt|wird|würde"
    r"|würdest|machst|macht|mache|denkst|meinst|empfiehlst|weißt|magst|darf|kannst|kostet|heißt|lange|viel)\b"
    r"|(?:kannst|könntest|hast|bist|gibt|weißt|sollte|darf|würdest|magst|willst|musst|kennst|können|könnten"
    r"|haben|sind|wissen|würden)\s+(?:du|ihr|sie|ich|es|man|wir|er)\b"
    # es: interrogatives are written with an accent
    r"|¿|(?:qué|cómo|dónde|cuándo|quién|quiénes|cuál|cuáles|cuánto|cuánta|cuántos|cuántas|adónde"
    r"|por\s+qué)\b"
    r"|(?:me\s+)?(?:puedes|podrías|podéis|sabes|sabrías|recomiendas|conoces)\b"
    # fr
    r"|est-ce\b|qu'est-ce\b|(?:\w+-(?:t-)?(?:tu|vous|il|elle|je|on|nous|ils|elles))\b"
    r"|(?:que|quoi|comment|où|quand|pourquoi|combien|quel|quelle|quels|quelles)\s+\S*-(?:t-)?"
    r"(?:tu|vous|il|elle|je|on|nous|ils|elles)\b"
    r"|(?:où|comment|combien|pourquoi)\s+(?:est|sont|va|puis|peux|dois|faut)\b"
    r")",
    re.IGNORECASE,
)

#: sentence endings that make a question without a question mark
QUESTION_END = re.compile(
    # ja
    r"(?:ですか|ますか|でしょうか|ませんか|んですか|のですか|のか|かな|かしら|っけ|だろうか)$"
    # zh
    r"|[吗嗎么麼]$"
    # ko
    r"|(?:(?<!니)까요?|[있없하되었았했겠]나요|[습입됩합갑봅옵겠]니까|냐|냐요)$"
)
#: question words that ask only when a question ending follows, and not in "什么都" / "何でも"
QUESTION_WORD_CJK = re.compile(
    r"(?:何|なに|なん|どう|どこ|いつ|誰|だれ|なぜ|どれ|どの|どんな|どうして|なんで|いくら|いくつ)"
    r"(?!も|でも|か|とも)"
    r"|(?<![不没沒])(?:为什么|為什麼|什么|什麼|怎么|怎麼|怎样|怎樣|哪里|哪儿|哪个|哪些|哪家|哪天|哪|谁|几点|几号|几岁|多少(?=钱|個|个|人|岁|次|天|公里)|如何"
    r"|是不是|有没有"
    r"|能不能|可不可以|要不要|好不好|对不对)(?![都也])"
    r"|(?:뭐|무엇|어디|언제|누구|누가|왜|어떻게)(?!든|나|도|냐하면)"
)
#: endings that make the CJK question words above ask ("今夜は何を作ればいい")
QUESTION_WORD_END = re.compile(r"(?:いい|の|ん|だろう|でしょう|呢|好|[지까나야요니냐죠])$")
#: what turns a question word into "whatever …" or an embedded question: "何を食べても", "不管多少",
#: "왜 그런지 모르겠지만"
NOT_ASKING = re.compile(
    r"[てで]も|知道|清楚|确定|確定|不管|无论|無論|不论|지만|든지|라도|는지|은지|런지|을지|할지|인지"
)

# -- requests ------------------------------------------------------------------------------------

#: imperatives addressed to an assistant ("Book me a table", "Sag mir", "Dime", "Trouve-moi")
REQUEST_START = re.compile(
    r"^(?:(?:ok(?:ay)?|so|now|and|also|then|hey|pls|please|plz)[\s,]+)*"
    r"(?:please|pls|plz|kindly"
    r"|(?:tell|show|find|book|reserve|remind|send|list|suggest|recommend|explain|summari[sz]e|translate"
    r"|search|google|compare|calculate|draft|describe|rewrite|generate|convert|schedule|cancel|repeat"
    r"|create|order|check|add|remove|delete|update|plan(?!\s+to\b)|pick|choose|propose|arrange|text|email|answer"
    r"|continue|fix|edit|write|look\s+up|look\s+for|figure\s+out|set\s+up|come\s+up\s+with|teach|guide"
    r"|name|outline|estimate|draw|design|brainstorm|proofread|review|analy[sz]e|note\s+down)\b"
    r"|(?:give|get|make|help|take|bring|buy|put|read|play|open|turn|walk|let|call\s+up)\s+(?:me|us)\b"
    r"|(?:can|could|would|will)\s+you\b|would\s+you\s+mind|do\s+you\s+mind"
    r"|i(?:'d|\s+would)\s+like\s+you\s+to|i\s+(?:want|need)\s+you\s+to|let's|let\s+us\b|make\s+sure"
    r"|don't\s+(?:forget\s+to|tell|book|send|remind|let)"
    # de
    r"|bitte|sag|erzähl|zeig|gib|such\s+(?:mir|uns|nach|bitte)|buch|reservier|erinnere\s+mich|schick|schreib"
    r"|empfiehl|schlag|erklär|übersetz|hilf|mach\s+mir|bestell|nenn|prüf|vergleich|berechne|fass\b(?=.*\bzusammen\b)"
    r"|lies\s+(?:mir|uns|vor|bitte)|lass\s+uns"
    r"|ruf|hol|füg|lösch|antworte|finde\s+(?:mir|uns|heraus)|plan\s+mir"
    r"|(?:sagen|zeigen|geben|buchen|finden|suchen|schicken|empfehlen|erklären|helfen|nennen|reservieren"
    r"|bestellen|erinnern)\s+sie\b"
    # es
    r"|por\s+favor|dime|dame|muéstrame|enséñame|busca|búscame|encuentra|encuéntrame|reserva|resérvame"
    r"|recomiéndame|recomienda|sugiere|sugiéreme|explica|explícame|ayúdame|recuérdame|haz|hazme|escribe"
    r"|escríbeme|traduce|tradúceme|envía|envíame|mándame|ponme|dile|cuéntame|calcula|compara|planifica"
    r"|organiza|prepárame|elige|escoge|resume|resúmeme|añade|agrega|borra|elimina|cancela|avísame|revisa"
    r"|comprueba|dígame|deme|busque|ayúdeme|explíqueme|recomiéndeme"
    # fr
    r"|s'il\s+(?:te|vous)\s+pla[iî]t|stp|svp|merci\s+de|dis-moi|dites-moi|donne-moi|donnez-moi|montre-moi"
    r"|montrez-moi|trouve|trouvez|trouve-moi|cherche-moi|cherchez|réserve-moi|réservez|rappelle-moi"
    r"|rappelez-moi|aide-moi|aidez-moi|explique|explique-moi|expliquez|écris-moi|écrivez|fais-moi|faites"
    r"|envoie|envoyez|propose-moi|proposez|recommande-moi|recommandez|conseille-moi|conseillez-moi"
    r"|suggère|traduis|traduisez|calcule|planifie|organise|prépare-moi|choisis|résume|ajoute|supprime"
    r"|annule|raconte-moi|parle-moi|indique-moi|allons|vérifie)(?=$|[\s,.!:;-])(?!\s+(?:is|are|was|were)\b)",
    re.IGNORECASE,
)
#: asking someone, politely, to do something: a request whoever says it
POLITE_REQUEST = re.compile(
    r"^(?:please|pls|plz|kindly|(?:can|could|would|will)\s+you|would\s+you\s+mind|do\s+you\s+mind"
    r"|i(?:'d|\s+would)\s+like\s+you\s+to|i\s+(?:want|need)\s+you\s+to|bitte|por\s+favor"
    r"|s'il\s+(?:te|vous)\s+pla[iî]t|merci\s+de)\b",
    re.IGNORECASE,
)
#: "…, please" at the end, in every language with a word for it
REQUEST_END = re.compile(
    r"(?:\bplease|\bpls|\bbitte|\bpor\s+favor|s'il\s+(?:te|vous)\s+pla[iî]t|\bstp|\bsvp)$", re.IGNORECASE
)
#: request endings in Japanese and Korean ("教えてください", "추천해 주세요")
REQUEST_END_CJK = re.compile(
    # ja
    r"(?:ください|下さい|ちょうだい|[てで]くれ(?:る|ない)?|[てで](?:ほ|欲)しい(?:です|んだけど|んですが)?"
    r"|お?願い(?:します|いたします|できますか)?|なさい|ましょう|しよう|[てで](?:もらえ|いただけ)(?:る|ます|ません))$"
    # zh: "…吧" proposes (let's …)
    r"|吧$"
    # ko
    r"|(?:주세요|줘|줘요|주실래요|주시겠어요|줄래|줄래요|부탁해|부탁해요|부탁합니다|부탁드려요|부탁드립니다"
    r"|하자|합시다|봅시다|갑시다|해라|하십시오|십시오)$"
)
#: a Japanese sentence ending in the te-form asks ("教えて"); a clause ending in it only goes on
#: ("柴犬を飼っていて、名前は…")
TE_FORM_END = re.compile(r"(?:って|いて|して|えて|けて|せて|べて|めて|れて|きて|みて|んで|いで|ねて|てて)$")
#: a family member as the subject makes "…주세요" honorific ("시어머니가 아이를 봐주세요": she looks
#: after the child), not a request
KO_HONORED_SUBJECT = re.compile(
    r"(?:어머니|아버지|엄마|아빠|시어머니|시아버지|장모|장인|할머니|할아버지|남편|아내|와이프|언니|누나|오빠|형|동생"
    r"|아들|딸|선생님|부모님|사장님|교수님)(?:님)?(?:께서|가|이|는|은)\s"
)
#: a clause after the question's main one that opens like this belongs to the question
#: ("Nimmt er ein Bier, wenn man ihm eins anbietet?")
SUBORDINATE_START = re.compile(
    r"^(?:if|when|whether|because|that|once|wenn|ob|dass|falls|weil|sobald|si|cuando|que|porque|quand"
    r"|lorsque|qu')\b",
    re.IGNORECASE,
)
#: a question word opening a clause of a question: "Was passiert, wenn …?", "Qui, dans …, possède … ?"
WH_START = re.compile(
    r"^(?:what|how|where|when|who|whom|which|why|was|wie|wo|wann|warum|wieso|wer|wen|wem|welche[rsnm]?"
    r"|qué|cómo|dónde|cuándo|quién|cuál|por\s+qué|que|qui|quoi|comment|où|quand|pourquoi|quel(?:le)?s?)\b",
    re.IGNORECASE,
)
#: a standing "no …, please" is a preference, not a request ("so no rooftop bars please")
NEGATED_START = re.compile(
    r"^(?:no|not|never|kein|keine|keinen|nie|sin|nada\s+de|pas\s+de|jamais)\b", re.IGNORECASE
)
#: request openings in Chinese ("请推荐…", "帮我查一下…")
REQUEST_START_ZH = re.compile(
    r"^(?:请|請|麻烦|麻煩|帮我|幫我|帮忙|幫忙|告诉我|告訴我|推荐|推薦|提醒我|你帮我|你給我|你给我|能帮我|可以帮我"
    r"|我想让你|我需要你|让我们|讓我們|我们来|咱们)"
)
#: a habit or a standing fact ("every morning", "on weekends"): an imperative-looking sentence that
#: carries one is a statement with its subject left out ("Check my email every morning")
HABIT = re.compile(
    r"\b(?:every|each)\s+(?:day|morning|evening|night|week|weekend|month|year|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday)\b|\bon\s+(?:weekends|mondays|tuesdays|wednesdays|thursdays|fridays"
    r"|saturdays|sundays)\b|\b(?:usually|always|often|never|daily|weekly)\b|\bin\s+my\s+(?:spare|free)\s+time\b"
    r"|\bfor\s+a\s+living\b",
    re.IGNORECASE,
)

# -- clauses -------------------------------------------------------------------------------------

#: words that start only a part of a sentence, never a statement of its own ("…, something cheap?")
FRAGMENT_START = frozenset(
    _split(
        "a an the some any something anything somewhere someone maybe preferably ideally roughly or either"
        " for in at on with near by to from about like than not only just especially"
        " ein eine einen etwas irgendwas vielleicht am besten oder für mit in im nach von zu"
        " un una unos unas algo quizás quizá preferiblemente o para con en por de"
        " une des quelque chose peut-être plutôt ou pour avec dans à de"
    )
)
#: a hypothetical is not a fact ("If I were vegan, what …?")
HYPOTHETICAL_START = re.compile(
    r"^(?:if|suppose|wenn|falls|angenommen|si|supongamos|もし|如果|要是|假如|만약|만일)\b", re.IGNORECASE
)
#: a clause after a question or request is kept when it gives a reason or speaks of the user
REASON_LEAD = re.compile(
    r"^(?:since|as|because|given\s+that|considering\s+that|da|weil|denn|porque|ya\s+que|como|dado\s+que"
    r"|puisque|parce\s+qu(?:e|')|car|vu\s+que|étant\s+donné\s+qu(?:e|')|因为|因為|由于|由於)(?![a-zA-ZÀ-ÿ])\s*",
    re.IGNORECASE,
)
SUBJECT_START = re.compile(
    r"^(?:i|i'm|i've|i'd|i'll|my|we|we're|our|she|he|they|ich|mein|meine|meinen|wir|unser|unsere|sie|er"
    r"|yo|mi|mis|soy|estoy|tengo|vivo|trabajo|nuestro|nuestra|ella|él|ellos|je|j'\w+|mon|ma|mes|nous"
    r"|notre|nos|elle|il|ils|elles)\b",
    re.IGNORECASE,
)
#: conjunctions left at the start of a kept clause ("…, so I'm vegan" → "I'm vegan")
LEADING_CONJUNCTION = re.compile(
    r"^(?:and|but|so|also|plus|anyway|btw|oh|und|aber|also|y|pero|así\s+que|et|mais|donc|alors)\b[\s,]*",
    re.IGNORECASE,
)
