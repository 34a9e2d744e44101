"""A signal's one-line summary from an e-mail or a chat message.

Japanese business mail opens with a salutation (伊藤様), a greeting
(いつもお世話になっております) and often thanks; the first line is rarely
what the mail is about, while its subject usually is. So the summary is the
subject, stripped of the reply and forward prefixes mail clients pile up,
unless there is none or it only repeats the record's name; otherwise the
first sentence of the text that is not a salutation, a greeting, a
self-introduction or thanks.
"""

import re

# One reply/forward/tag prefix; applied again until none is left
# ("Re: RE: Fwd: [外部] 返信: 件名" → "件名"). "Re[2]:" and full-width colons
# are what Japanese mail clients write too.
PREFIX = re.compile(
    r"^\s*(?:"
    r"(?:re|fwd?|fw|aw|wg|tr)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]"
    r"|(?:返信|転送|返|転)\s*[:：]"
    r"|[\[［【(（]\s*(?:外部|社外|external|ext)\s*[\]］】)）]"
    r")\s*",
    re.IGNORECASE,
)

# Where a sentence ends: a line break or a full stop, question or
# exclamation mark (kept with its sentence).
SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n")

# A line that only addresses someone: 伊藤様, 株式会社北斗精機 伊藤 様,
# 営業部各位, ご担当者様, 御中, Dear …
SALUTATION = re.compile(
    r"(?:様|さま|殿|各位|御中|ご担当者様|ご担当者各位)\s*[,，、:：]?\s*$"
    r"|^\s*(?:dear|hi|hello|hey)\b",
    re.IGNORECASE,
)

# Greetings, apologies for the interruption, self-introductions and thanks:
# courtesy that says nothing about the customer's need.
COURTESY = re.compile(
    r"^\s*(?:"
    r"お世話になっ|いつも|平素|毎々|毎度|大変お世話|お疲れ様|お疲れさま|おつかれ"
    r"|ご無沙汰|ごぶさた|はじめまして|初めまして|突然の(?:ご連絡|メール)"
    r"|お忙しい(?:ところ|中)|夜分|朝早く|ご連絡ありがとう|メールありがとう"
    r"|拝啓|前略|謹啓|こんにちは|こんばんは|おはようございます"
    r"|thank|thanks|many thanks|i hope|hope you"
    r")",
    re.IGNORECASE,
)
THANKS = re.compile(
    r"(?:ありがとうございま(?:す|した)|有難うございま(?:す|した)|有り難うございま(?:す|した)"
    r"|感謝(?:いたし|申し上げ|しており)|御礼申し上げ|お礼申し上げ)"
    r"[。！!.]*\s*$"
)
# 「北斗精機の小野です。」「東邦精工 営業部の小野でございます。」: who writes, not what.
SELF_INTRODUCTION = re.compile(
    r"^[^。]{0,40}の[^。の]{1,12}(?:です|でございます|と申します)[。.!！]?\s*$"
)
# Quoted text and signatures belong to other mails.
QUOTED = re.compile(r"^\s*(?:>|＞|-- ?$|―{2,}|-{2,}|_{2,}|={2,}|\*{2,})")


def strip_subject(subject):
    """``subject`` without its Re:/Fwd:/返信:/転送:/[外部] prefixes.

    >>> strip_subject("Re: RE: Fwd: [外部] 返信: 帳票のExcel出力について")
    '帳票のExcel出力について'
    """
    text = " ".join((subject or "").split())
    while True:
        stripped = PREFIX.sub("", text, count=1)
        if stripped == text:
            return text.strip()
        text = stripped


def _same_name(left, right):
    def key(value):
        return "".join((value or "").split()).casefold()

    return bool(key(left)) and key(left) == key(right)


def is_courtesy(sentence):
    """Whether ``sentence`` is a salutation, greeting, self-introduction or
    thanks rather than what the message is about."""
    sentence = sentence.strip()
    return bool(
        SALUTATION.search(sentence)
        or COURTESY.search(sentence)
        or THANKS.search(sentence)
        or SELF_INTRODUCTION.search(sentence)
    )


def sentences(text):
    """The sentences of ``text``, quoted lines and signatures left out."""
    result = []
    for line in (text or "").splitlines():
        if QUOTED.match(line):
            # Everything after a signature separator or a quote is someone
            # else's words.
            break
        for sentence in SENTENCE_END.split(line):
            sentence = " ".join(sentence.split())
            if sentence:
                result.append(sentence)
    return result


def first_sentence(text):
    """The first sentence of ``text`` that is not courtesy; ``""`` if none."""
    return next((s for s in sentences(text) if not is_courtesy(s)), "")


def signal_summary(subject, text, record_name=None, limit=200):
    """The summary of a signal saved from a message.

    ``subject`` is the message's subject (may be empty), ``text`` its body
    as plain text, ``record_name`` the name of the record it was written on
    (a subject that only repeats it says nothing). Cut to ``limit``
    characters (``None``: not cut, for a caller that cuts it itself and
    keeps the original).

    >>> mail = "伊藤様\\n\\nお世話になっております。\\n帳票をExcelで出したい。"
    >>> signal_summary("Re: 北斗精機", mail, "北斗精機")
    '帳票をExcelで出したい。'
    """
    summary = strip_subject(subject)
    if not summary or _same_name(summary, record_name):
        summary = first_sentence(text)
    if not summary:
        summary = next(iter(sentences(text)), "") or strip_subject(subject) or record_name or ""
    summary = summary.strip()
    if limit is None or len(summary) <= limit:
        return summary
    return summary[: limit - 1] + "…"
