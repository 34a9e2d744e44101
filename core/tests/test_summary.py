import pytest

from core.summary import first_sentence, is_courtesy, signal_summary, strip_subject

MAIL = """伊藤様

いつもお世話になっております。
北斗精機の小野です。

先日の障害の件、早急にご対応いただきありがとうございました。
帳票をExcelで出力したいという要望が経理部から出ています。
来月の打ち合わせでご提案いただけますか。

--
北斗精機株式会社 小野
"""


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Re: 帳票のExcel出力について", "帳票のExcel出力について"),
        ("RE: RE: Fwd: 帳票のExcel出力について", "帳票のExcel出力について"),
        ("FW: Fw: fwd:帳票", "帳票"),
        ("返信: 転送: 帳票", "帳票"),
        ("返信：転送：帳票", "帳票"),
        ("[外部] Re: 帳票", "帳票"),
        ("【外部】RE: 帳票", "帳票"),
        ("Re[2]: 帳票", "帳票"),
        ("  帳票の   件  ", "帳票の 件"),
        ("Report: 帳票", "Report: 帳票"),
        ("", ""),
        (None, ""),
    ],
)
def test_strip_subject_removes_every_reply_and_forward_prefix(subject, expected):
    assert strip_subject(subject) == expected


def test_subject_is_the_summary_when_it_says_something():
    assert signal_summary("Re: 帳票のExcel出力について", MAIL, "北斗精機") == (
        "帳票のExcel出力について"
    )


def test_subject_that_repeats_the_record_gives_way_to_the_first_real_sentence():
    assert signal_summary("RE: 北斗精機", MAIL, "北斗精機") == (
        "帳票をExcelで出力したいという要望が経理部から出ています。"
    )


def test_no_subject_skips_salutation_greeting_introduction_and_thanks():
    assert signal_summary("", MAIL) == "帳票をExcelで出力したいという要望が経理部から出ています。"
    assert signal_summary("Fwd:", MAIL) == (
        "帳票をExcelで出力したいという要望が経理部から出ています。"
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "伊藤様",
        "株式会社北斗精機 伊藤 様",
        "営業部各位",
        "ご担当者様",
        "お世話になっております。",
        "いつも大変お世話になっております。",
        "平素より格別のご高配を賜り、厚く御礼申し上げます。",
        "お疲れ様です。",
        "先日の障害の件、早急にご対応いただきありがとうございました。",
        "ご連絡ありがとうございます。",
        "北斗精機の小野です。",
        "東邦精工 営業部の小野でございます。",
        "Dear Mr. Ito,",
    ],
)
def test_courtesy_is_recognised(sentence):
    assert is_courtesy(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "帳票をExcelで出力したいという要望が経理部から出ています。",
        "来期に倉庫管理システムの更新を検討しています。",
        "他社製品への乗り換えを検討しているそうです。",
    ],
)
def test_a_need_is_not_courtesy(sentence):
    assert not is_courtesy(sentence)


def test_sentences_end_at_japanese_full_stops_and_quotes_are_ignored():
    text = "お世話になっております。増設の見積もりをお願いします。\n> 前回のメール\n> 引用"
    assert first_sentence(text) == "増設の見積もりをお願いします。"
    assert first_sentence("> 引用だけ") == ""


def test_only_courtesy_falls_back_to_the_first_sentence_then_the_record():
    assert signal_summary("", "伊藤様\nありがとうございました。") == "伊藤様"
    assert signal_summary("", "", "北斗精機") == "北斗精機"
    assert signal_summary(None, None) == ""


def test_summary_is_cut_to_the_limit():
    summary = signal_summary("あ" * 500, "")
    assert len(summary) == 200
    assert summary.endswith("…")
