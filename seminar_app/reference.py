"""Reference lists with their names in both languages: prefectures, the prefectural IP
comprehensive support desks and industries."""

from __future__ import annotations

#: JIS X 0401 prefecture codes.
PREFECTURES: dict[str, tuple[str, str]] = {
    code: names
    for code, names in zip(
        (f"{number:02d}" for number in range(1, 48)),
        [
            ("北海道", "Hokkaido"),
            ("青森県", "Aomori"),
            ("岩手県", "Iwate"),
            ("宮城県", "Miyagi"),
            ("秋田県", "Akita"),
            ("山形県", "Yamagata"),
            ("福島県", "Fukushima"),
            ("茨城県", "Ibaraki"),
            ("栃木県", "Tochigi"),
            ("群馬県", "Gunma"),
            ("埼玉県", "Saitama"),
            ("千葉県", "Chiba"),
            ("東京都", "Tokyo"),
            ("神奈川県", "Kanagawa"),
            ("新潟県", "Niigata"),
            ("富山県", "Toyama"),
            ("石川県", "Ishikawa"),
            ("福井県", "Fukui"),
            ("山梨県", "Yamanashi"),
            ("長野県", "Nagano"),
            ("岐阜県", "Gifu"),
            ("静岡県", "Shizuoka"),
            ("愛知県", "Aichi"),
            ("三重県", "Mie"),
            ("滋賀県", "Shiga"),
            ("京都府", "Kyoto"),
            ("大阪府", "Osaka"),
            ("兵庫県", "Hyogo"),
            ("奈良県", "Nara"),
            ("和歌山県", "Wakayama"),
            ("鳥取県", "Tottori"),
            ("島根県", "Shimane"),
            ("岡山県", "Okayama"),
            ("広島県", "Hiroshima"),
            ("山口県", "Yamaguchi"),
            ("徳島県", "Tokushima"),
            ("香川県", "Kagawa"),
            ("愛媛県", "Ehime"),
            ("高知県", "Kochi"),
            ("福岡県", "Fukuoka"),
            ("佐賀県", "Saga"),
            ("長崎県", "Nagasaki"),
            ("熊本県", "Kumamoto"),
            ("大分県", "Oita"),
            ("宮崎県", "Miyazaki"),
            ("鹿児島県", "Kagoshima"),
            ("沖縄県", "Okinawa"),
        ],
        strict=True,
    )
}

#: 知財総合支援窓口: the IP comprehensive support desk of each prefecture, which refers clients
#: to the agency; keyed by the JIS X 0401 code of its prefecture.
PREFECTURAL_DESKS: dict[str, tuple[str, str]] = {
    code: (f"{japanese}知財総合支援窓口", f"{english} IP Comprehensive Support Desk")
    for code, (japanese, english) in PREFECTURES.items()
}

#: The 20 major groups of the Japan Standard Industrial Classification (2023 revision).
INDUSTRIES: dict[str, tuple[str, str]] = {
    "A": ("農業，林業", "Agriculture and forestry"),
    "B": ("漁業", "Fisheries"),
    "C": ("鉱業，採石業，砂利採取業", "Mining and quarrying of stone and gravel"),
    "D": ("建設業", "Construction"),
    "E": ("製造業", "Manufacturing"),
    "F": ("電気・ガス・熱供給・水道業", "Electricity, gas, heat supply and water"),
    "G": ("情報通信業", "Information and communications"),
    "H": ("運輸業，郵便業", "Transport and postal activities"),
    "I": ("卸売業，小売業", "Wholesale and retail trade"),
    "J": ("金融業，保険業", "Finance and insurance"),
    "K": ("不動産業，物品賃貸業", "Real estate and goods rental and leasing"),
    "L": (
        "学術研究，専門・技術サービス業",
        "Scientific research, professional and technical services",
    ),
    "M": ("宿泊業，飲食サービス業", "Accommodations, eating and drinking services"),
    "N": ("生活関連サービス業，娯楽業", "Living-related and personal services and amusement"),
    "O": ("教育，学習支援業", "Education, learning support"),
    "P": ("医療，福祉", "Medical, health care and welfare"),
    "Q": ("複合サービス事業", "Compound services"),
    "R": ("サービス業（他に分類されないもの）", "Services, not elsewhere classified"),
    "S": ("公務（他に分類されるものを除く）", "Government, except elsewhere classified"),
    "T": ("分類不能の産業", "Industries unable to classify"),
}


def reference_name(table: dict[str, tuple[str, str]], code: str | None, language: str) -> str:
    if not code or code not in table:
        return ""
    japanese, english = table[code]
    return english if language == "en" else japanese


def reference_choices(table: dict[str, tuple[str, str]], language: str) -> list[tuple[str, str]]:
    return [(code, reference_name(table, code, language)) for code in table]


def local_government_code_is_valid(code: str) -> bool:
    """A 全国地方公共団体コード (JIS X 0402): five digits and the check digit, the last
    figure of 11 minus the remainder of the digits weighted 6, 5, 4, 3, 2 by 11; the first two
    are the prefecture's (130001: 東京都)."""
    if len(code) != 6 or not (code.isascii() and code.isdigit()) or code[:2] not in PREFECTURES:
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(code[:5], (6, 5, 4, 3, 2), strict=True)
    )
    return int(code[5]) == (11 - total % 11) % 10
