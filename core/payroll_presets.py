"""What each payroll product's import screen expects, as shipped defaults.

Each preset follows the public help page it cites (read on the date given);
none is confirmed by a customer yet: the administrator checks it against
their own product (item names are the customer's own, set on the product's
screen) and renames the headers. The item kinds are the figures of a payout
line; incentive, award and deduction always stay separate columns.
"""

# kind: how the column is written
KIND_FORMATS = {
    "employee_key": "text",
    "employee_name": "text",
    "department": "text",
    "workplace_prefecture": "text",
    "constant": "text",
    "incentive": "yen",
    "overtime_premium": "yen",
    "deduction": "yen",
    "award": "yen",
    "worked_hours": "hours",
    "overtime_hours": "hours",
    "late_night_hours": "hours",
    "holiday_hours": "hours",
}

CHECKED_ON = "2026-12-06"


def _items(
    incentive="歩合給", premium="歩合給の割増賃金", deduction="歩合給控除", award="賞与候補"
):
    return [
        ("incentive", incentive),
        ("overtime_premium", premium),
        ("deduction", deduction),
        ("award", award),
    ]


def _hours(
    worked="総労働時間", overtime="時間外労働時間", late="深夜労働時間", holiday="法定休日労働時間"
):
    return [
        ("worked_hours", worked),
        ("overtime_hours", overtime),
        ("late_night_hours", late),
        ("holiday_hours", holiday),
    ]


PRESETS = {
    "moneyforward": {
        "name": "マネーフォワード クラウド給与",
        "encoding": "cp932",
        "hours_style": "decimal",
        "reference": "https://biz.moneyforward.com/support/payroll/guide/integrations/in09.html",
        "screen": "給与計算 > メニュー > 他社ソフトから支給/控除/勤怠CSVインポート",
        # A "Version" column holding 2, the 従業員コード, then items named
        # exactly as on the 給与計算 screen.
        "columns": [
            ("constant", "Version", "2"),
            ("employee_key", "従業員コード"),
            *_items(),
            *_hours(),
        ],
    },
    "freee": {
        "name": "freee人事労務",
        "encoding": "utf8",
        "hours_style": "colon",
        "reference": "https://support.freee.co.jp/hc/ja/articles/360015946772",
        "screen": "給与計算 > 他社サービスの給与データのインポート(従業員番号で照合、UTF-8)",
        "columns": [("employee_key", "従業員番号"), *_items(), *_hours()],
    },
    "yayoi": {
        "name": "弥生給与",
        "encoding": "cp932",
        "hours_style": "sexagesimal",
        "reference": "https://support.yayoi-kk.co.jp/subcontents.html?page_id=24293",
        "screen": "給与支払 > 明細入力 > ファイル > インポート(従業員特定文字、時間は60進法)",
        "columns": [
            ("employee_key", "従業員コード"),
            *_items(),
            *_hours(
                worked="実働時間",
                overtime="普通残業時間",
                late="深夜残業時間",
                holiday="休日勤務時間",
            ),
        ],
    },
    "jobcan": {
        "name": "ジョブカン給与計算",
        "encoding": "cp932",
        "hours_style": "colon",
        "reference": "https://jobcan-payroll.zendesk.com/hc/ja/articles/45989464067609",
        "screen": (
            "給与 > 給与データのCSV取込(スタッフコードで照合、時間は給与規定の60進数/10進数/分形式)"
        ),
        "columns": [("employee_key", "スタッフコード"), *_items(), *_hours()],
    },
    "pca": {
        "name": "PCA給与",
        "encoding": "cp932",
        "hours_style": "sexagesimal",
        "reference": "https://faq.pca.jp/category/show/32?page=18&site_domain=default&sort_order=desc",
        "screen": "随時 > 汎用データの受入(給与データ、受入パターンで列を割り当て)",
        # 社員コード first, then the items in the order the 受入パターン lists.
        "columns": [
            ("employee_key", "社員コード"),
            *_hours(
                worked="出勤時間",
                overtime="普通残業時間",
                late="深夜残業時間",
                holiday="休日出勤時間",
            ),
            *_items(),
        ],
    },
    "bugyo": {
        "name": "給与奉行",
        "encoding": "cp932",
        "hours_style": "colon",
        "reference": "https://support.obc.jp/hc/ja/articles/900003885706",
        "screen": "随時処理 > 汎用データ受入 > 給与データ受入(独自の形式、社員番号で照合)",
        "columns": [("employee_key", "社員番号"), *_items(), *_hours()],
    },
}


def preset_columns(preset):
    """``[(kind, header, constant value)]`` of a preset, in file order."""
    return [
        (column[0], column[1], column[2] if len(column) > 2 else "")
        for column in PRESETS[preset]["columns"]
    ]
